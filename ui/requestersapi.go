package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The approvals API as Settings explains it: where a requester calls, what
// it sends, and an example built from the real address. The README's
// "Approvals API" section says more.

// exampleBody is the example request's body: a withdrawal, every field a
// withdrawal takes.
const exampleBody = `{"kind": "withdrawal", "asset": "BTC", "amount": "0.015",
       "network": "Bitcoin", "fee": "0.0001", "reference": "W-1042",
       "destination": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"}`

// exampleKey stands for an API key in the example.
const exampleKey = "pdk_YOUR_API_KEY"

// requestFields are the request's fields, in words.
var requestFields = []string{
	"kind: withdrawal, deposit, c2c-trade or sign-in-elsewhere (required)",
	"asset and amount: \"BTC\", \"0.015\" (amount as a decimal string)",
	"network: \"Bitcoin\", \"TRC20\"",
	"destination: the address (withdrawals and deposits): the detail you will check most closely",
	"counterparty: the other side (C2C trades)",
	"fee: a decimal string, if any",
	"reference: the service's own reference, shown to you",
	"expiresInSeconds: how long you have to answer, 30 to 3600 (300 when left out)",
}

// errNoAPI: the app was started without an address of its own (tests).
var errNoAPI = errors.New("this app serves no API")

// requestersBase is the address requesters call: the account server, or
// the embedded service while its page is served; else why there is none.
func (a *App) requestersBase() (string, error) {
	switch {
	case a.server != "":
		return strings.TrimSuffix(a.server, "/"), nil
	case a.phoneUnavailable != nil:
		return "", a.phoneUnavailable
	case a.publicURL == "":
		return "", errNoAPI
	}
	return strings.TrimSuffix(a.publicURL, "/"), nil
}

// curlExample is a request for an approval at base, as a shell command.
func curlExample(base string) string {
	return "curl " + base + "/v1/approvals \\\n" +
		"  -H 'Authorization: Bearer " + exampleKey + "' \\\n" +
		"  -H 'Content-Type: application/json' \\\n" +
		"  -d '" + exampleBody + "'"
}

// requestersHelp is the Settings part that explains the approvals API.
func (a *App) requestersHelp() fyne.CanvasObject {
	objs := []fyne.CanvasObject{
		heading("Approvals API"),
		paragraph("A service (an exchange's backend, a script) asks you to approve an operation with one HTTP call and one of the API keys below. The request appears under Approvals; you approve or deny it with a passkey, and the service reads your answer with a second call."),
	}
	base, err := a.requestersBase()
	if errors.Is(err, errNoAPI) {
		return container.NewVBox(append(objs, infoLine("This app serves no approvals API."))...)
	}
	if err != nil {
		return container.NewVBox(append(objs, warningLine("The approvals API is not served now: the app could not listen on its address ("+
			err.Error()+"). Close what uses it, or start Passkey Desk with another --phone-addr."))...)
	}
	address := monospace("POST " + base + "/v1/approvals")
	fields := paragraph("• " + strings.Join(requestFields, "\n• "))
	example := monospace(curlExample(base))
	var copyExample *button
	copyExample = newButtonWithIcon("Copy example", theme.ContentCopyIcon(), func() {
		a.fyne.Clipboard().SetContent(example.Text)
		copyExample.SetText("Copied")
		copyExample.SetIcon(theme.ConfirmIcon())
	})
	objs = append(objs,
		paragraph("The address requesters call, with the key as Authorization: Bearer:"),
		address,
		paragraph("The request is JSON with these fields:"),
		fields,
		paragraph("An example:"),
		example,
		container.NewHBox(copyExample),
		paragraph("The answer is 201 with the approval's id. GET "+base+"/v1/approvals/ID, with the same key, gives its state: pending, then approved, denied, expired or refused; once approved, the passkey's signature over the operation's details. To check that signature without trusting this service, keep a copy of your passkeys from GET "+base+"/v1/requester/passkeys."),
	)
	return container.NewVBox(objs...)
}

// monospace is selectable text in the monospace style, broken anywhere
// to fit.
func monospace(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Selectable = true
	l.Wrapping = fyne.TextWrapBreak
	return l
}
