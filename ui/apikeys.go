package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// apiKeySettings is the service API keys part of Settings: the keys an
// exchange backend or other requester uses to ask for approvals. Making
// one takes an identity check (the one removal uses: a passkey, or
// password and codes), since whoever holds a key can ask for approvals
// in the account's name. A new key's secret is shown once, with Copy;
// only its hash is kept. Keys can be revoked at once.
type apiKeySettings struct {
	app    *App
	name   *widget.Entry
	create *button
	verify *fyne.Container // the identity check while one is under way
	check  *identityCheck
	secret *fyne.Container // the new key's secret, shown once
	list   *fyne.Container
	fb     *feedback
}

// newAPIKeySettings makes the part; build shows it and starts loading
// the keys.
func newAPIKeySettings(a *App) *apiKeySettings {
	return &apiKeySettings{app: a, fb: newFeedback()}
}

// close ends an identity check under way when Settings goes away.
func (k *apiKeySettings) close() {
	if k.check != nil {
		k.check.close()
		k.check = nil
	}
}

func (k *apiKeySettings) build() fyne.CanvasObject {
	k.name = widget.NewEntry()
	k.name.SetPlaceHolder("Name, such as \"exchange backend\"")
	k.create = newButtonWithIcon("Create API key", theme.ContentAddIcon(), k.doCreate)
	k.name.OnSubmitted = func(string) { k.doCreate() }
	k.secret = container.NewVBox()
	k.verify = container.NewVBox()
	k.list = container.NewVBox()
	k.load()
	return container.NewVBox(
		heading("Service API keys"),
		paragraph("A service that asks you to approve operations (withdrawals, deposits, C2C trades) uses an API key made here. Making one needs an identity check. Its secret is shown only once."),
		container.NewBorder(nil, nil, nil, k.create, k.name),
		k.verify,
		k.secret,
		k.fb.object(),
		k.list,
	)
}

func (k *apiKeySettings) load() {
	token := k.app.token
	var keys []account.APIKey
	k.app.run(func(ctx context.Context) error {
		var err error
		keys, err = k.app.api.ListAPIKeys(ctx, token)
		return err
	}, func(err error) {
		if err != nil {
			k.app.fail(k.fb, "listing API keys", err)
			return
		}
		k.show(keys)
	})
}

func (k *apiKeySettings) show(keys []account.APIKey) {
	k.list.RemoveAll()
	for _, key := range keys {
		key := key
		line := key.Name + " · " + key.Hint + "… · created " + day(key.CreatedAt)
		if !key.LastUsedAt.IsZero() {
			line += " · last used " + day(key.LastUsedAt)
		}
		var right fyne.CanvasObject
		if key.RevokedAt.IsZero() {
			revoke := newButtonWithIcon("Revoke", theme.DeleteIcon(), func() { k.revoke(key) })
			revoke.Importance = widget.DangerImportance
			right = revoke
		} else {
			line += " · revoked " + day(key.RevokedAt)
		}
		l := widget.NewLabel(line)
		l.Wrapping = fyne.TextWrapWord
		k.list.Add(container.NewBorder(nil, nil, nil, right, l))
	}
	if len(keys) == 0 {
		k.list.Add(infoLine("No API keys yet."))
	}
}

// doCreate checks the name, then asks for an identity check whose grant
// makes the key.
func (k *apiKeySettings) doCreate() {
	if k.create.Disabled() || k.check != nil {
		return
	}
	name, token := strings.TrimSpace(k.name.Text), k.app.token
	if name == "" {
		k.app.fail(k.fb, "creating an API key", &account.InputError{Field: "name", Reason: "use 1 to 64 characters"})
		k.app.focus(k.name)
		return
	}
	if k.app.me.Restricted {
		// No identity check but the one that lifts the restriction.
		k.app.fail(k.fb, "creating an API key", account.ErrSessionRestricted)
		return
	}
	k.fb.clear()
	k.secret.RemoveAll()
	setEnabled(false, k.name, k.create)
	var key *account.NewAPIKey
	var keys []account.APIKey
	k.check = &identityCheck{
		app:         k.app,
		purpose:     account.PurposeCreateAPIKey,
		what:        "creating an API key",
		withPasskey: k.app.canPasskeySignIn(),
		act:         "Verify and create",
		use: func(ctx context.Context, grant string) error {
			var err error
			if key, err = k.app.api.CreateAPIKey(ctx, token, grant, name); err != nil {
				return err
			}
			keys, err = k.app.api.ListAPIKeys(ctx, token)
			return err
		},
		done: func(err error) {
			k.check = nil
			k.verify.RemoveAll()
			setEnabled(true, k.name, k.create)
			if err != nil { // cancelled
				k.app.focus(k.name)
				return
			}
			k.name.SetText("")
			k.showSecret(key)
			k.show(keys)
		},
	}
	k.verify.Objects = []fyne.CanvasObject{
		paragraph("An API key lets a service ask you to approve operations in your name, so first confirm it is you."),
		k.check.object(),
	}
	k.verify.Refresh()
	k.check.shown()
}

// showSecret shows the new key's secret once, with Copy.
func (k *apiKeySettings) showSecret(key *account.NewAPIKey) {
	secret := widget.NewLabelWithStyle(key.Secret, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	secret.Selectable = true
	secret.Wrapping = fyne.TextWrapBreak
	copyBtn := newButtonWithIcon("Copy", theme.ContentCopyIcon(), nil)
	copyBtn.OnTapped = func() { k.app.copySecret(copyBtn, key.Secret) }
	done := newButton("Done, I saved it", func() {
		k.secret.RemoveAll()
	})
	k.secret.RemoveAll()
	k.secret.Add(infoLine("The secret of \"" + key.Name + "\" is shown only now. Copy it into the service that will use it."))
	k.secret.Add(container.NewBorder(nil, nil, nil, container.NewHBox(copyBtn, done), secret))
}

func (k *apiKeySettings) revoke(key account.APIKey) {
	token := k.app.token
	k.fb.busy("Revoking…")
	var keys []account.APIKey
	k.app.run(func(ctx context.Context) error {
		if err := k.app.api.RevokeAPIKey(ctx, token, key.ID); err != nil {
			return err
		}
		var err error
		keys, err = k.app.api.ListAPIKeys(ctx, token)
		return err
	}, func(err error) {
		k.fb.clear()
		if err != nil {
			k.app.fail(k.fb, "revoking an API key", err)
			return
		}
		k.show(keys)
	})
}
