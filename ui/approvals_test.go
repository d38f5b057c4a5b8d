//go:build cgo

package ui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
	"github.com/passkeydesk/passkeydesk/fido/libfido2"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// withdrawal is the operation the approval tests ask for.
var withdrawal = account.Operation{
	Kind:        account.OperationWithdrawal,
	Asset:       "BTC",
	Amount:      "0.015",
	Network:     "Bitcoin",
	Destination: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh",
	Fee:         "0.0001",
	Reference:   "W-7731",
}

// approvalTest is a signed-in app whose account has a passkey on the soft
// key, an API key, and a pending withdrawal asked for with it.
type approvalTest struct {
	*signInKeyTest
	user   *accounttest.User
	secret string
	id     string
}

func newApprovalTest(t *testing.T) *approvalTest {
	t.Helper()
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	k.clock.Advance(account.RemovalHold) // the passkey's hold is over
	k.signedIn(u)
	ctx := context.Background()
	key, err := k.svc.CreateAPIKey(ctx, u.Session.Token, u.Grant(t, account.PurposeCreateAPIKey), "exchange backend")
	if err != nil {
		t.Fatal(err)
	}
	k.secrets = append(k.secrets, key.Secret)
	a, err := k.svc.RequestApproval(ctx, key.Secret, account.ApprovalRequest{Operation: withdrawal})
	if err != nil {
		t.Fatal(err)
	}
	at := &approvalTest{signInKeyTest: k, user: u, secret: key.Secret, id: a.ID}
	// The inbox's badge shows it at the next poll, and a desktop
	// notification says what it is.
	want := fyne.NewNotification("Approval requested", "Withdrawal of 0.015 BTC. Open Passkey Desk to approve or deny it.")
	test.AssertNotificationSent(t, want, func() {
		k.app.shell.watch.now()
		k.waitFor("the badge", 10*time.Second, func() bool {
			return k.app.shell.watch.badge.Visible() && k.app.shell.watch.badge.Text == "1"
		})
	})
	k.tap("Approvals")
	k.waitText(5*time.Second, "Withdrawal of 0.015 BTC")
	k.tap("Open")
	return at
}

func (a *approvalTest) state() account.ApprovalState {
	a.t.Helper()
	got, err := a.svc.GetApproval(context.Background(), a.secret, a.id)
	if err != nil {
		a.t.Fatal(err)
	}
	return got.State
}

func TestApprovalApprove(t *testing.T) {
	a := newApprovalTest(t)
	// Every field, plainly.
	a.wantText("Withdrawal", "BTC", "0.015", "Bitcoin", "0.0001", "W-7731", "Expires")
	// A long address wraps; it is all there.
	if !strings.Contains(strings.ReplaceAll(a.text(), " ", ""), withdrawal.Destination) {
		t.Fatalf("the destination is not shown whole:\n%s", a.text())
	}
	a.notText("not given")
	a.tap("Approve with a passkey")
	a.waitText(5*time.Second, "Use a passkey to approve", simulatedKeyLabel)
	// Signed in, nobody asks for an email: the sign-in's reassurance
	// does not belong here.
	a.notText("No email is needed")
	a.tap(a.keyButton())
	a.waitText(5*time.Second, "Enter your key's PIN")
	a.typeFocused(keyPIN)
	a.tap("Continue")
	a.waitText(10*time.Second, "Approved")
	if got := a.state(); got != account.ApprovalApproved {
		t.Fatalf("state %q, want approved", got)
	}
	got, err := a.svc.GetApproval(context.Background(), a.secret, a.id)
	if err != nil || got.Assertion == nil {
		t.Fatalf("no assertion: %+v, %v", got, err)
	}
	a.waitFor("the badge to go", 10*time.Second, func() bool { return !a.app.shell.watch.badge.Visible() })
	a.wantText("Nothing is waiting for approval.")
}

func TestApprovalDeny(t *testing.T) {
	a := newApprovalTest(t)
	a.tap("Deny")
	a.waitText(5*time.Second, "Denied")
	if got := a.state(); got != account.ApprovalDenied {
		t.Fatalf("state %q, want denied", got)
	}
}

func TestApprovalExpired(t *testing.T) {
	a := newApprovalTest(t)
	a.clock.Advance(account.ApprovalLifetime + time.Minute)
	a.tap("Deny")
	a.waitText(5*time.Second, "Request expired")
}

func TestActivityExport(t *testing.T) {
	k := newSignInKeyTest(t)
	u := k.user("ann@example.com")
	k.bind(u)
	k.signedIn(u)
	k.tap("Activity")
	k.waitText(5*time.Second, "Passkey added", "Account created")
	s := k.app.shell.activity
	ctx := context.Background()

	data, err := s.export(ctx, "csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || strings.Join(rows[0], ",") != "time,type,detail,source" {
		t.Fatalf("CSV export:\n%s", data)
	}
	if !strings.Contains(string(data), string(account.EventPasskeyAdded)) {
		t.Fatalf("CSV export has no passkey-added:\n%s", data)
	}

	// The filter applies to the export.
	s.filter.SetSelected("Passkey added")
	k.settle()
	k.notText("Account created")
	data, err = s.export(ctx, "json")
	if err != nil {
		t.Fatal(err)
	}
	var events []struct{ Time, Type, Detail, Source string }
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatalf("JSON export: %v\n%s", err, data)
	}
	if len(events) != 1 || events[0].Type != string(account.EventPasskeyAdded) || events[0].Source == "" {
		t.Fatalf("JSON export with the filter:\n%s", data)
	}
}

// TestApprovalHeld: a passkey removed by password and code after the
// request holds withdrawals; approving says so, with the hold's end.
func TestApprovalHeld(t *testing.T) {
	a := newApprovalTest(t)
	ctx := context.Background()
	other, unplug := plugKey(t, "ui-"+t.Name()+"-other", softkey.Options{})
	dev, err := libfido2.NewProvider().Open(ctx, other.HIDInfo().Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.SetPIN(ctx, []byte(keyPIN)); err != nil {
		t.Fatal(err)
	}
	dev.Close()
	pk := a.bindOn(a.user, other)
	unplug()
	if err := a.svc.RemovePasskey(ctx, a.user.Session.Token, a.user.Grant(t, account.PurposeRemovePasskey), pk.ID); err != nil {
		t.Fatal(err)
	}
	a.tap("Approve with a passkey")
	a.waitText(5*time.Second, "Use a passkey to approve")
	a.tap(a.keyButton())
	a.waitText(10*time.Second, "Withdrawals and C2C trades are on hold", "held until")
	if got := a.state(); got != account.ApprovalPending {
		t.Fatalf("state %q, want pending", got)
	}
}

// Fields the requester left empty are listed all the same, as "not given"
// in the body style, not as a bold value.
func TestApprovalEmptyFieldsNotGiven(t *testing.T) {
	a := account.Approval{Operation: account.Operation{Kind: account.OperationDeposit, Asset: "USDT", Amount: "250"}, ExpiresAt: time.Now()}
	d := &approvalDetail{approval: a}
	obj := d.build()
	var notGivenSegs, valueSegs int
	walkVisible(obj, func(o fyne.CanvasObject) {
		rt, ok := o.(*widget.RichText)
		if !ok {
			return
		}
		for _, seg := range rt.Segments {
			ts, ok := seg.(*widget.TextSegment)
			if !ok {
				continue
			}
			switch {
			case ts.Text == notGiven && ts.Style != widget.RichTextStyleSubHeading:
				notGivenSegs++
			case ts.Text == "none" || ts.Text == notGiven:
				t.Errorf("an empty field reads as a value: %q in style %+v", ts.Text, ts.Style)
			case ts.Style == widget.RichTextStyleSubHeading:
				valueSegs++
			}
		}
	})
	// Network, Destination, Fee and Reference are empty.
	if notGivenSegs != 4 || valueSegs < 4 {
		t.Errorf("%d fields shown as not given (want 4), %d values", notGivenSegs, valueSegs)
	}
}

// The destination is the most prominent value: monospace at the heading
// size (other values are sub-headings), in groups of four that wrap
// between groups and are never cut off, its first and last groups in
// the primary colour so its start and end are easy to compare.
func TestApprovalDestinationProminent(t *testing.T) {
	d := &approvalDetail{approval: account.Approval{Operation: withdrawal, ExpiresAt: time.Now()}}
	fa := test.NewTempApp(t)
	applyTheme(fa, themeSystem)
	th := fa.Settings().Theme()
	size := func(s widget.RichTextStyle) float32 {
		if s.SizeName == "" {
			return th.Size(theme.SizeNameText)
		}
		return th.Size(s.SizeName)
	}
	var dest *widget.RichText
	var otherMax float32
	walkVisible(d.build(), func(o fyne.CanvasObject) {
		rt, ok := o.(*widget.RichText)
		if !ok {
			return
		}
		if strings.ReplaceAll(rt.String(), " ", "") == withdrawal.Destination {
			dest = rt
			return
		}
		if _, ok := titleOf(rt); ok {
			return // the page's title
		}
		for _, seg := range rt.Segments {
			if ts, ok := seg.(*widget.TextSegment); ok {
				otherMax = max(otherMax, size(ts.Style))
			}
		}
	})
	if dest == nil {
		t.Fatal("the destination is not shown whole in one text")
	}
	if dest.Wrapping != fyne.TextWrapWord || dest.Truncation != fyne.TextTruncateOff {
		t.Errorf("the destination wraps %v, truncates %v: want wrapping between groups, no truncation", dest.Wrapping, dest.Truncation)
	}
	groups := strings.Fields(dest.String())
	if strings.Join(groups, " ") != "bc1q xy2k gdyg jrsq tzq2 n0yr f249 3p83 kkfj hx0w lh" {
		t.Errorf("the destination is not grouped by four: %q", dest.String())
	}
	if len(dest.Segments) != len(groups) {
		t.Fatalf("%d segments for %d groups", len(dest.Segments), len(groups))
	}
	for i, seg := range dest.Segments {
		ts := seg.(*widget.TextSegment)
		edge := i == 0 || i == len(dest.Segments)-1
		if !ts.Style.TextStyle.Monospace || (ts.Style.ColorName == theme.ColorNamePrimary) != edge || !ts.Style.Inline {
			t.Errorf("group %d %q: style %+v; want inline monospace, the primary colour only for the first and last", i, ts.Text, ts.Style)
		}
		if s := size(ts.Style); s <= otherMax {
			t.Errorf("group %d is %.0f points, not larger than the other values (%.0f)", i, s, otherMax)
		}
	}
	// The coloured groups are large text: they read at 3:1 or better on
	// the page in both variants (WCAG AA for large text).
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		if r := contrast(th.Color(theme.ColorNamePrimary, v), th.Color(theme.ColorNameBackground, v)); r < 3 {
			t.Errorf("variant %d: the destination's first and last groups read at %.1f:1", v, r)
		}
	}
}
