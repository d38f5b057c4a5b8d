package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// apiKeySettings is the service API keys part of Settings: the keys an
// exchange backend or other requester uses to ask for approvals. A new
// key's secret is shown once, with Copy; only its hash is kept. Keys can
// be revoked at once.
type apiKeySettings struct {
	app    *App
	name   *widget.Entry
	create *button
	secret *fyne.Container // the new key's secret, shown once
	list   *fyne.Container
	fb     *feedback
}

// apiKeysSettings builds the part and starts loading the keys.
func (a *App) apiKeysSettings() fyne.CanvasObject {
	k := &apiKeySettings{app: a, fb: newFeedback()}
	k.name = widget.NewEntry()
	k.name.SetPlaceHolder("Name, such as \"exchange backend\"")
	k.create = newButtonWithIcon("Create API key", theme.ContentAddIcon(), k.doCreate)
	k.name.OnSubmitted = func(string) { k.doCreate() }
	k.secret = container.NewVBox()
	k.list = container.NewVBox()
	k.load()
	return container.NewVBox(
		heading("Service API keys"),
		paragraph("A service that asks you to approve operations (withdrawals, deposits, C2C trades) uses an API key made here. Its secret is shown only once."),
		container.NewBorder(nil, nil, nil, k.create, k.name),
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

func (k *apiKeySettings) doCreate() {
	if k.create.Disabled() {
		return
	}
	name, token := k.name.Text, k.app.token
	k.fb.busy("Creating…")
	setEnabled(false, k.name, k.create)
	var key *account.NewAPIKey
	var keys []account.APIKey
	k.app.run(func(ctx context.Context) error {
		var err error
		if key, err = k.app.api.CreateAPIKey(ctx, token, name); err != nil {
			return err
		}
		keys, err = k.app.api.ListAPIKeys(ctx, token)
		return err
	}, func(err error) {
		setEnabled(true, k.name, k.create)
		k.fb.clear()
		if err != nil {
			k.app.fail(k.fb, "creating an API key", err)
			return
		}
		k.name.SetText("")
		k.showSecret(key)
		k.show(keys)
	})
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
