//go:build cgo

package libfido2

import (
	"context"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// TestManagerHolds probes for passkeys without a touch: a key that would
// deny any touch still answers, for discoverable and non-discoverable
// credentials, and says no for a credential it never held, one for
// another site, and one deleted.
func TestManagerHolds(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{})
	_, other := softKey(t, softkey.Options{Name: t.Name() + "-other"})
	setPIN(t, d)
	setPIN(t, other)
	p := pinOnly(testPIN)
	ids := fillSites(t, d, 3, 3, p) // credProtect 1, 2 and 3
	nonDisc, err := d.MakeCredential(ctx, softMakeReq("walt", false), p)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := other.MakeCredential(ctx, softMakeReq("walt", false), p)
	if err != nil {
		t.Fatal(err)
	}
	k.SetTouch(softkey.TouchDenied, 0)
	m := manager(t, d)

	tests := []struct {
		name           string
		rpID           string
		id             []byte
		withPIN, noPIN bool
	}{
		{"discoverable, credProtect 1", siteName(0), ids[siteName(0)][0], true, true},
		{"discoverable, credProtect 2", siteName(1), ids[siteName(1)][0], true, true},
		{"discoverable, credProtect 3 (found only with the PIN)", siteName(2), ids[siteName(2)][0], true, false},
		{"not discoverable", "passkeydesk.test", nonDisc.CredentialID, true, true},
		{"made on another key", "passkeydesk.test", foreign.CredentialID, false, false},
		{"another site", siteName(1), ids[siteName(0)][0], false, false},
	}
	gets := k.Commands(0x02)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := m.Holds(ctx, tt.rpID, tt.id, p); err != nil || got != tt.withPIN {
				t.Errorf("with the PIN: %v, %v; want %v", got, err, tt.withPIN)
			}
			if got, err := m.Holds(ctx, tt.rpID, tt.id, fido.Prompt{}); err != nil || got != tt.noPIN {
				t.Errorf("without a PIN: %v, %v; want %v", got, err, tt.noPIN)
			}
		})
	}
	if n := k.Commands(0x02) - gets; n != 2*len(tests) {
		t.Fatalf("%d getAssertion requests for %d probes", n, 2*len(tests))
	}
	if err := m.DeleteCredential(ctx, ids[siteName(0)][0], p); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Holds(ctx, siteName(0), ids[siteName(0)][0], p); err != nil || got {
		t.Fatalf("after deleting: %v, %v", got, err)
	}
}
