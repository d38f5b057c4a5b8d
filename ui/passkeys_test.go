package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

func TestPasskeysEmptyState(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.signedIn(h.user("rita@example.com"))
	h.tap("Passkeys")
	h.wantText("You have no passkeys yet.", "A passkey is a key pair made for this account")
	h.tap("Add passkey")
	if h.app.shell.wizard == nil {
		t.Fatalf("Add passkey did not open the wizard; the window shows:\n%s", h.text())
	}
}

// withPasskeys signs a user in who has two passkeys, bound through the
// service's real registration ceremony.
func withPasskeys(t *testing.T) (*harness, *accounttest.User, []*account.Passkey) {
	t.Helper()
	h := newHarness(t, harnessOptions{model: func(aaguid []byte) string {
		if aaguid[0] == 1 {
			return "Test Key 5 NFC"
		}
		return ""
	}})
	u := h.user("sam@example.com")
	key := &accounttest.Authenticator{AAGUID: [16]byte{1}}
	phone := &accounttest.Authenticator{AAGUID: [16]byte{2}, BackupEligible: true, BackedUp: true}
	pks := []*account.Passkey{
		u.AddPasskey(t, key, account.KindSecurityKey, "Blue key"),
		u.AddPasskey(t, phone, account.KindPhone, "Pixel"),
	}
	h.signedIn(u)
	return h, u, pks
}

func TestPasskeysList(t *testing.T) {
	h, _, pks := withPasskeys(t)
	h.wantText("2 passkeys are bound to your account.")
	h.tap("Passkeys")
	h.wantText(
		"Blue key", "Security key · Test Key 5 NFC",
		"Pixel", "Phone or tablet",
		"Added "+day(pks[0].CreatedAt)+" · Never used",
	)
	h.notText("You have no passkeys yet.")
	rows := h.app.shell.passkeys.rows
	if len(rows) != 2 || rows[0].pk.Name != "Blue key" || rows[1].pk.Name != "Pixel" {
		t.Fatalf("rows are not the two passkeys oldest first: %+v", rows)
	}
}

func TestRenamePasskeyInPlace(t *testing.T) {
	for _, tc := range []struct {
		name   string
		typed  string
		commit func(h *harness)
		want   string // the name afterwards, at the service and on screen
		msg    []string
	}{
		{"with the Save button", "Work key", func(h *harness) { h.tap("Save") }, "Work key", nil},
		{"with Enter", "  Spare key ", func(h *harness) { h.press(fyne.KeyReturn) }, "Spare key", nil},
		{"cancelled", "Never saved", func(h *harness) { h.tap("Cancel") }, "Blue key", nil},
		{"empty name", "   ", func(h *harness) { h.tap("Save") }, "Blue key",
			[]string{"Check the name", "Use 1 to 64 characters."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, u, pks := withPasskeys(t)
			h.tap("Passkeys")
			row := h.app.shell.passkeys.rows[0]
			tapRename(h, row)
			if h.canvas().Focused() != row.entry || row.entry.Text != "Blue key" {
				t.Fatalf("rename did not put the current name in a focused entry")
			}
			h.typeInto(row.entry, tc.typed)
			tc.commit(h)
			h.wantText(tc.msg...)

			list, err := h.svc.Passkeys(context.Background(), u.Session.Token)
			if err != nil {
				t.Fatal(err)
			}
			if list[0].ID != pks[0].ID || list[0].Name != tc.want {
				t.Errorf("the service holds the name %q; want %q", list[0].Name, tc.want)
			}
			if list[1].Name != "Pixel" {
				t.Errorf("the other passkey was renamed to %q", list[1].Name)
			}
			if tc.msg == nil {
				if !row.view.Visible() || row.edit.Visible() {
					t.Error("the row did not go back to showing the name")
				}
				if row.name.Text != tc.want {
					t.Errorf("the row shows %q; want %q", row.name.Text, tc.want)
				}
			}
		})
	}
}

// tapRename taps the Rename button of one row (each row has one, so
// harness.tap cannot tell them apart).
func tapRename(h *harness, r *passkeyRow) {
	h.t.Helper()
	if !r.renameBtn.Visible() || r.renameBtn.Disabled() {
		h.t.Fatal("the Rename button cannot be tapped")
	}
	test.Tap(r.renameBtn)
	h.settle()
}

// TestPasskeysSyncStates: each passkey says, from its authenticator's
// backup flags, whether it is synced, can be synced or is device-bound,
// and what that means.
func TestPasskeysSyncStates(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	u := h.user("sam@example.com")
	u.AddPasskey(t, &accounttest.Authenticator{AAGUID: [16]byte{1}}, account.KindSecurityKey, "Blue key")
	u.AddPasskey(t, &accounttest.Authenticator{AAGUID: [16]byte{2}, BackupEligible: true, BackedUp: true}, account.KindPhone, "Pixel")
	u.AddPasskey(t, &accounttest.Authenticator{AAGUID: [16]byte{3}, BackupEligible: true}, account.KindPhone, "Tablet")
	h.signedIn(u)
	h.tap("Passkeys")
	// Each row's words lie between its name and the next row's.
	text := h.text()
	names := []string{"Blue key", "Pixel", "Tablet"}
	for i, want := range []struct{ state, meaning string }{
		{"Security key · Device-bound", "Device-bound: it never leaves the authenticator that made it"},
		{"Phone or tablet · Synced", "Synced: a copy is kept by its provider"},
		{"Phone or tablet · Can be synced", "Can be synced: its provider may copy it to your other devices, but it has not been backed up yet"},
	} {
		start := strings.Index(text, names[i])
		if start < 0 {
			t.Fatalf("no row %q; the window shows:\n%s", names[i], text)
		}
		row := text[start:]
		if i+1 < len(names) {
			if end := strings.Index(row, names[i+1]); end >= 0 {
				row = row[:end]
			}
		}
		if !strings.Contains(row, want.state) || !strings.Contains(row, want.meaning) {
			t.Errorf("the row of %s says:\n%s\nwant %q and %q", names[i], row, want.state, want.meaning)
		}
	}
	h.wantText("Device-bound", "Synced", "Can be synced")
}
