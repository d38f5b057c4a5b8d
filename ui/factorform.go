package ui

import (
	"context"

	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// factorForm answers an identity verification: one entry for each factor
// this build can answer (password, authenticator code, email code), in the
// order the service asks for them. Factors it cannot answer (such as an
// existing passkey) are listed in unanswerable for the screen to explain.
type factorForm struct {
	form                  *widget.Form
	password, totp, email *widget.Entry
	entries               []*widget.Entry // in order: focus the first, Enter submits
	unanswerable          []account.Factor
}

func newFactorForm(ver *account.Verification) *factorForm {
	f := &factorForm{form: widget.NewForm()}
	for _, factor := range ver.Factors {
		switch factor {
		case account.FactorPassword:
			f.password = widget.NewPasswordEntry()
			f.form.Append("Password", f.password)
			f.entries = append(f.entries, f.password)
		case account.FactorTOTP:
			f.totp = widget.NewEntry()
			f.totp.SetPlaceHolder("6-digit code from your app, or a recovery code")
			f.form.Append("App code", f.totp)
			f.entries = append(f.entries, f.totp)
		case account.FactorEmailCode:
			f.email = widget.NewEntry()
			f.email.SetPlaceHolder("Code from the email")
			f.form.Append("Email code", f.email)
			f.entries = append(f.entries, f.email)
		default:
			f.unanswerable = append(f.unanswerable, factor)
		}
	}
	return f
}

// checkCodes puts each code entry's text in the form the service takes
// (see oneTimeCode). A code that cannot be one is returned as an error
// with its entry, to focus; nothing is then to be sent.
func (f *factorForm) checkCodes() (*widget.Entry, error) {
	for _, c := range []struct {
		e    *widget.Entry
		what string
	}{{f.totp, "app code"}, {f.email, "email code"}} {
		if c.e == nil {
			continue
		}
		read := oneTimeCode
		if c.e == f.totp {
			read = secondFactorCode
		}
		code, err := read(c.e.Text, c.what)
		if err != nil {
			return c.e, err
		}
		c.e.SetText(code)
	}
	return nil, nil
}

// proof is what the user typed, for CompleteVerification.
func (f *factorForm) proof() account.Proof {
	var p account.Proof
	for _, a := range []struct {
		e   *widget.Entry
		dst *string
	}{{f.password, &p.Password}, {f.totp, &p.TOTPCode}, {f.email, &p.EmailCode}} {
		if a.e != nil {
			*a.dst = a.e.Text
		}
	}
	return p
}

// complete is the codes-only identity check's answer, for every screen
// that offers one (the add-passkey wizard, identityCheck): the codes are
// checked as typed (a code that cannot be one is said on fb, its entry
// focused, and false returned: nothing is sent), then CompleteVerification
// of the verification id runs off the UI goroutine, followed by use with
// the grant when use is set. done gets the grant or the error on the UI
// goroutine; after an error the code entries are emptied, as a code works
// once. what names the check for the log and the error's words.
func (f *factorForm) complete(a *App, fb *feedback, what, id string,
	use func(ctx context.Context, grant *account.Grant) error, done func(grant *account.Grant, err error)) bool {
	if e, err := f.checkCodes(); err != nil {
		a.fail(fb, what, err)
		a.focus(e)
		return false
	}
	proof := f.proof()
	token := a.token
	fb.busy("Checking…")
	var grant *account.Grant
	a.run(func(ctx context.Context) error {
		var err error
		if grant, err = a.api.CompleteVerification(ctx, token, id, proof); err != nil || use == nil {
			return err
		}
		return use(ctx, grant)
	}, func(err error) {
		if err != nil {
			for _, e := range []*widget.Entry{f.totp, f.email} {
				if e != nil {
					e.SetText("")
				}
			}
		}
		done(grant, err)
	})
	return true
}
