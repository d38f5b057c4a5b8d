package ui

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
)

// Every event type the service declares has words on the activity screen:
// the test reads the declarations from the account package's source, so a
// type added there without words here fails.
func TestEveryEventTypeHasWords(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../account/api.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		spec, ok := node.(*ast.ValueSpec)
		if !ok || !isIdent(spec.Type, "EventType") {
			return true
		}
		for _, v := range spec.Values {
			lit, ok := v.(*ast.BasicLit)
			if !ok {
				continue
			}
			typ, _ := strconv.Unquote(lit.Value)
			n++
			if w := eventWords(account.EventType(typ)); w == typ {
				t.Errorf("event type %q has no words on the activity screen", typ)
			}
		}
		return true
	})
	if n < 20 {
		t.Fatalf("found only %d event types in account/api.go: the test no longer reads them", n)
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func TestDetailWords(t *testing.T) {
	// A zone other than UTC, whatever the machine's, so that a time left
	// in UTC shows.
	local := time.Local
	time.Local = time.FixedZone("UTC+5:30", 5*3600+1800)
	defer func() { time.Local = local }()
	at := time.Date(2026, 11, 26, 1, 0, 10, 0, time.UTC)
	shown := "26 Nov 2026 06:30"
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"add-passkey", "Adding a passkey"},
		{"remove-passkey: wrong password", "Removing a passkey: wrong password"},
		{"change-policy: passkey Blue key", "Changing the passkey policy: passkey Blue key"},
		{"add-passkeys and more", "add-passkeys and more"},
		{"totp", "authenticator-app code"},
		{"withdrawals and C2C trades held until " + at.Format(time.RFC3339), "withdrawals and C2C trades held until " + shown},
		{"Security key: Blue key", "Security key: Blue key"},
	} {
		if got := detailWords(tc.in); got != tc.want {
			t.Errorf("detailWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The activity screen shows events in words: the filter offers types in
// words and still filters, a verification's purpose is in words, and an
// event without detail has no empty line.
func TestActivityInWords(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("uma@example.com")
	u.Grant(t, account.PurposeAddPasskey)
	other, err := h.svc.SignIn(context.Background(), u.Email, u.Password, h.code(u.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.svc.SignOut(context.Background(), other.Token); err != nil {
		t.Fatal(err)
	}
	h.signedIn(u)
	h.tap("Activity")
	h.waitText(5*time.Second, "Identity verified", "Adding a passkey", "Signed out")
	h.notText("add-passkey", "signed-out", "verification-passed")
	s := h.app.shell.activity
	if !slices.Contains(s.filter.Options, "Signed out") || slices.Contains(s.filter.Options, string(account.EventSignedOut)) {
		t.Errorf("filter choices are not in words: %q", s.filter.Options)
	}
	s.filter.SetSelected("Identity verified")
	h.settle()
	h.notText("Signed out")
	h.wantText("Adding a passkey")
	s.filter.SetSelected("Signed out")
	h.settle()
	h.wantText("Signed out")
	for _, o := range s.list.Objects {
		walkVisible(o, func(o fyne.CanvasObject) {
			if l, ok := o.(*widget.Label); ok && strings.TrimSpace(l.Text) == "" {
				t.Error("an event without detail shows an empty line")
			}
		})
	}
}
