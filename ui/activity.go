package ui

import (
	"context"
	"io"
	"regexp"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// activityLimit is how many events the screen lists; an export has all.
const activityLimit = 500

// allEvents is the filter choice that shows every type.
const allEvents = "All events"

// activityScreen lists the account's security events, newest first, with
// time, what, detail and where from; a filter by type; and export to CSV
// and JSON through a save dialog.
type activityScreen struct {
	app *App

	filter *widget.Select
	list   *fyne.Container
	csv    *button
	json   *button
	fb     *feedback
	events []account.Event
	// byWords maps the filter's choices, event types in words, back to
	// the types.
	byWords map[string]account.EventType
}

func (s *activityScreen) build() fyne.CanvasObject {
	s.fb = newFeedback()
	s.list = container.NewVBox()
	s.filter = widget.NewSelect(nil, func(string) { s.show() })
	s.csv = newButtonWithIcon("Export CSV", theme.DocumentSaveIcon(), func() { s.saveAs("csv") })
	s.json = newButtonWithIcon("Export JSON", theme.DocumentSaveIcon(), func() { s.saveAs("json") })
	s.fb.busy("Loading activity…")
	s.load()
	return page(
		headingText("Activity"),
		paragraph("Every security event of your account: sign-ins, passkeys added, renamed and removed, approvals, verifications."),
		container.NewBorder(nil, nil, widget.NewLabel("Show"), container.NewHBox(s.csv, s.json), s.filter),
		s.fb.object(),
		s.list,
	)
}

func (s *activityScreen) load() {
	token := s.app.token
	var events []account.Event
	s.app.run(func(ctx context.Context) error {
		var err error
		events, err = s.app.api.Activity(ctx, token, activityLimit)
		return err
	}, func(err error) {
		s.fb.clear()
		if err != nil {
			s.app.fail(s.fb, "reading the activity", err)
			return
		}
		s.events = events
		types := []string{allEvents}
		s.byWords = map[string]account.EventType{}
		for _, e := range events {
			if w := eventWords(e.Type); s.byWords[w] == "" {
				s.byWords[w] = e.Type
				types = append(types, w)
			}
		}
		s.filter.Options = types
		s.filter.SetSelected(allEvents)
		s.show()
	})
}

// chosenType is the filter's type, "" for all.
func (s *activityScreen) chosenType() account.EventType {
	return s.byWords[s.filter.Selected]
}

func (s *activityScreen) show() {
	t := s.chosenType()
	s.list.Objects = nil
	n := 0
	for _, e := range s.events {
		if t != "" && e.Type != t {
			continue
		}
		n++
		what := widget.NewLabelWithStyle(eventWords(e.Type), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		when := widget.NewLabel(e.At.Local().Format("2 Jan 2006 15:04:05") + " · from " + e.Source)
		row := container.NewVBox(what, when)
		if d := detailWords(e.Detail); d != "" {
			detail := widget.NewLabel(d)
			detail.Wrapping = fyne.TextWrapWord
			row.Add(detail)
		}
		row.Add(widget.NewSeparator())
		s.list.Add(row)
	}
	if n == 0 {
		s.list.Add(infoLine("No events to show."))
	}
	s.list.Refresh()
}

// export returns the activity in format ("csv" or "json") with the
// screen's filter, from the account service.
func (s *activityScreen) export(ctx context.Context, format string) ([]byte, error) {
	return s.app.api.ExportActivity(ctx, s.app.token, format, account.ActivityFilter{Type: s.chosenType()})
}

// saveAs asks where to save and writes the export there.
func (s *activityScreen) saveAs(format string) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			if err != nil {
				s.app.fail(s.fb, "choosing where to save", err)
			}
			return
		}
		s.writeExport(format, w)
	}, s.app.win)
	d.SetFileName("passkeydesk-activity." + format)
	d.SetFilter(storage.NewExtensionFileFilter([]string{"." + format}))
	d.Show()
}

// writeExport exports off the UI goroutine and writes to w.
func (s *activityScreen) writeExport(format string, w io.WriteCloser) {
	s.fb.busy("Exporting…")
	token, filter := s.app.token, account.ActivityFilter{Type: s.chosenType()}
	s.app.run(func(ctx context.Context) error {
		defer w.Close()
		data, err := s.app.api.ExportActivity(ctx, token, format, filter)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}, func(err error) {
		s.fb.clear()
		if err != nil {
			s.app.fail(s.fb, "exporting the activity", err)
			return
		}
		s.fb.show(message{Title: "Exported", Sentence: "The activity was saved as " + format + ".", Next: ""})
	})
}

// eventWords is an event type for people.
func eventWords(t account.EventType) string {
	if w, ok := eventTypeWords[t]; ok {
		return w
	}
	return string(t)
}

// eventTypeWords are the event types in words.
var eventTypeWords = map[account.EventType]string{
	account.EventAccountCreated:        "Account created",
	account.EventAccountActivated:      "Account activated",
	account.EventSignedIn:              "Signed in",
	account.EventSignInFailed:          "Sign-in failed",
	account.EventSignedOut:             "Signed out",
	account.EventVerificationPassed:    "Identity verified",
	account.EventVerificationFailed:    "Identity verification failed",
	account.EventFactorLocked:          "Factor locked",
	account.EventPasskeyAdded:          "Passkey added",
	account.EventPasskeyRenamed:        "Passkey renamed",
	account.EventPasskeyLost:           "Passkey lost",
	account.EventPasskeyRemoved:        "Passkey removed",
	account.EventPasskeyCloneSuspected: "Possible passkey clone",
	account.EventHoldStarted:           "Hold started",
	account.EventPolicyChanged:         "Security policy changed",
	account.EventAPIKeyCreated:         "API key created",
	account.EventAPIKeyRevoked:         "API key revoked",
	account.EventApprovalRequested:     "Approval requested",
	account.EventApprovalApproved:      "Operation approved",
	account.EventApprovalDenied:        "Operation denied",
	account.EventApprovalRefused:       "Approval refused",

	account.EventPhoneEnrollmentOpened:     "Phone enrollment opened",
	account.EventPhoneEnrollmentConfirmed:  "Phone enrollment confirmed",
	account.EventPhoneEnrollmentCanceled:   "Phone enrollment canceled",
	account.EventPhoneEnrollmentExpired:    "Phone enrollment expired",
	account.EventPhoneEnrollmentTried:      "Second device tried the phone link",
	account.EventPhoneEnrollmentHandedOver: "Phone link handed over",
}

// detailWords is an event's detail for people. The service words details
// for the record, with its own names for what a verification was for
// ("add-passkey: wrong password"), for a factor ("totp") and times in
// RFC 3339 UTC, the same for every reader wherever they are: here the
// names become words and the times local.
func detailWords(detail string) string {
	for p, w := range purposeWords {
		if rest, ok := strings.CutPrefix(detail, string(p)); ok && (rest == "" || strings.HasPrefix(rest, ":")) {
			detail = w + rest
			break
		}
	}
	for _, f := range []account.Factor{account.FactorPassword, account.FactorTOTP, account.FactorEmailCode, account.FactorPasskey} {
		if detail == string(f) {
			return factorWords(f)
		}
	}
	return rfc3339.ReplaceAllStringFunc(detail, func(ts string) string {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return ts
		}
		return t.Local().Format("2 Jan 2006 15:04")
	})
}

// purposeWords are the verification purposes that start details, in words.
var purposeWords = map[account.Purpose]string{
	account.PurposeAddPasskey:    "Adding a passkey",
	account.PurposeRemovePasskey: "Removing a passkey",
	account.PurposeChangePolicy:  "Changing the passkey policy",
	account.PurposeUnlockSession: "Confirming a sign-in with a possibly copied passkey",
	account.PurposeCreateAPIKey:  "Creating an API key",
}

// rfc3339 finds the times the service writes into details.
var rfc3339 = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
