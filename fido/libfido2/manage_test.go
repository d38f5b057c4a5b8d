//go:build cgo

package libfido2

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// The fido.Manager side of the binding, through real libfido2 against the
// soft key.

func manager(t testing.TB, d fido.Device) fido.Manager {
	t.Helper()
	m, ok := d.(fido.Manager)
	if !ok {
		t.Fatalf("%T is not a fido.Manager", d)
	}
	return m
}

func pinOnly(pin string) fido.Prompt {
	return fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) { return []byte(pin), nil }}
}

func siteName(i int) string { return fmt.Sprintf("site%02d.example", i) }

// fillSites makes n discoverable passkeys spread over sites RPs, with
// credProtect alternating between levels 1 to 3.
func fillSites(t testing.TB, d fido.Device, n, sites int, p fido.Prompt) map[string][][]byte {
	t.Helper()
	ids := map[string][][]byte{}
	for i := range n {
		rp := siteName(i % sites)
		att, err := d.MakeCredential(context.Background(), &fido.MakeCredentialRequest{
			ClientDataHash:   cdh(fmt.Sprint("fill", i)),
			RP:               fido.RelyingParty{ID: rp, Name: "Site " + rp},
			User:             fido.User{ID: []byte(fmt.Sprint("user-", i)), Name: fmt.Sprintf("user%d@%s", i, rp), DisplayName: fmt.Sprint("User ", i)},
			Algorithms:       []int{fido.ES256},
			ResidentKey:      true,
			UserVerification: true,
			CredProtect:      1 + i%3,
		}, p)
		if err != nil {
			t.Fatalf("passkey %d: %v", i, err)
		}
		ids[rp] = append(ids[rp], att.CredentialID)
	}
	return ids
}

func TestManagerCredentials(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{Slots: 30})
	setPIN(t, d)
	p := pinOnly(testPIN)
	ids := fillSites(t, d, 25, 10, p)
	m := manager(t, d)

	existing, remaining, err := m.CredentialsMetadata(ctx, p)
	if err != nil || existing != 25 || remaining != 5 {
		t.Fatalf("metadata %d/%d, %v; want 25/5", existing, remaining, err)
	}
	// libfido2 1.12 to 1.14 send the preview command; later ones 0x0A.
	if n41, n0a := k.Commands(0x41), k.Commands(0x0a); n41+n0a == 0 {
		t.Errorf("no credential management command reached the key")
	} else {
		t.Logf("credential management commands: 0x41 ×%d, 0x0A ×%d", n41, n0a)
	}
	rps, err := m.RelyingParties(ctx, p)
	if err != nil || len(rps) != 10 {
		t.Fatalf("RPs %d, %v", len(rps), err)
	}
	for _, rp := range rps {
		h := sha256.Sum256([]byte(rp.ID))
		if !bytes.Equal(rp.IDHash, h[:]) || rp.Name != "Site "+rp.ID {
			t.Errorf("RP %+v", rp)
		}
		creds, err := m.Credentials(ctx, rp.ID, p)
		if err != nil {
			t.Fatalf("credentials of %s: %v", rp.ID, err)
		}
		if len(creds) != len(ids[rp.ID]) {
			t.Errorf("%s: %d credentials, want %d", rp.ID, len(creds), len(ids[rp.ID]))
		}
		for _, c := range creds {
			if !slices.ContainsFunc(ids[rp.ID], func(id []byte) bool { return bytes.Equal(id, c.ID) }) ||
				c.RPID != rp.ID || len(c.User.ID) == 0 || c.User.Name == "" || c.User.DisplayName == "" ||
				c.CredProtect < 1 || c.CredProtect > 3 {
				t.Errorf("%s: credential %+v", rp.ID, c)
			}
		}
	}
	// Levels as made: user-0 has 1, user-10 has 2, user-20 has 3 (site00).
	creds, _ := m.Credentials(ctx, siteName(0), p)
	levels := map[string]int{}
	for _, c := range creds {
		levels[string(c.User.ID)] = c.CredProtect
	}
	if levels["user-0"] != 1 || levels["user-10"] != 2 || levels["user-20"] != 3 {
		t.Errorf("credProtect levels %v", levels)
	}
	if creds, err := m.Credentials(ctx, "nowhere.example", p); err != nil || len(creds) != 0 {
		t.Errorf("unknown RP: %v, %v", creds, err)
	}

	// Update a user, then delete that passkey.
	target := creds[0]
	newUser := fido.User{ID: target.User.ID, Name: "renamed@site00.example", DisplayName: "Renamed"}
	if err := m.UpdateUser(ctx, target.ID, newUser, p); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	creds, _ = m.Credentials(ctx, siteName(0), p)
	i := slices.IndexFunc(creds, func(c fido.StoredCredential) bool { return bytes.Equal(c.ID, target.ID) })
	if i < 0 || creds[i].User.Name != newUser.Name || creds[i].User.DisplayName != newUser.DisplayName {
		t.Errorf("after UpdateUser: %+v", creds)
	}
	if err := m.DeleteCredential(ctx, target.ID, p); err != nil {
		t.Fatalf("DeleteCredential: %v", err)
	}
	if err := m.DeleteCredential(ctx, target.ID, p); !errors.Is(err, fido.ErrNoCredentials) {
		t.Errorf("deleting again: %v", err)
	}
	existing, remaining, err = m.CredentialsMetadata(ctx, p)
	if err != nil || existing != 24 || remaining != 6 {
		t.Errorf("metadata after delete %d/%d, %v", existing, remaining, err)
	}
	if info, err := d.Info(ctx); err != nil || info.RemainingDiscoverable != 6 {
		t.Errorf("getInfo remaining after delete: %v", err)
	}
}

func TestManagerPINErrors(t *testing.T) {
	ctx := context.Background()
	_, d := softKey(t, softkey.Options{})
	m := manager(t, d)
	if _, _, err := m.CredentialsMetadata(ctx, pinOnly(testPIN)); !errors.Is(err, fido.ErrPINNotSet) {
		t.Errorf("no PIN: %v", err)
	}
	setPIN(t, d)
	if _, err := m.RelyingParties(ctx, fido.Prompt{}); !errors.Is(err, fido.ErrPINRequired) {
		t.Errorf("no prompt: %v", err)
	}
	if rps, err := m.RelyingParties(ctx, pinOnly(testPIN)); err != nil || len(rps) != 0 {
		t.Errorf("empty key: %v, %v", rps, err)
	}
	pp := &pinPrompt{pins: []string{"0000", testPIN}}
	if _, _, err := m.CredentialsMetadata(ctx, pp.prompt()); err != nil {
		t.Fatalf("wrong then right PIN: %v", err)
	}
	if len(pp.reqs) != 2 || !pp.reqs[1].Wrong || pp.reqs[1].Retries != 7 {
		t.Errorf("PIN requests %+v", pp.reqs)
	}
	for _, b := range pp.given {
		if !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("PIN not zeroed: %q", b)
		}
	}
}

func TestManagerConfig(t *testing.T) {
	ctx := context.Background()
	_, d := softKey(t, softkey.Options{})
	m := manager(t, d)
	// Without a PIN the key takes authenticatorConfig unauthenticated.
	if err := m.SetAlwaysUV(ctx, true, fido.Prompt{}); err != nil {
		t.Fatalf("SetAlwaysUV without PIN: %v", err)
	}
	info, _ := d.Info(ctx)
	if !info.HasOption("alwaysUv") {
		t.Errorf("alwaysUv not on: %v", info.Options)
	}
	setPIN(t, d)
	p := pinOnly(testPIN)
	if err := m.SetAlwaysUV(ctx, true, p); err != nil { // already on: nothing sent
		t.Fatal(err)
	}
	if err := m.SetAlwaysUV(ctx, false, p); err != nil {
		t.Fatalf("SetAlwaysUV off: %v", err)
	}
	if info, _ = d.Info(ctx); info.HasOption("alwaysUv") {
		t.Errorf("alwaysUv still on")
	}
	if err := m.SetAlwaysUV(ctx, true, p); err != nil {
		t.Fatalf("SetAlwaysUV on: %v", err)
	}
	if info, _ = d.Info(ctx); !info.HasOption("alwaysUv") || info.HasOption("makeCredUvNotRqd") {
		t.Errorf("alwaysUv: %v", info.Options)
	}

	// Lowering the minimum is refused; raising it with a forced change
	// makes the PIN unusable until it is changed.
	if err := m.SetMinPINLength(ctx, 3, false, p); !errors.Is(err, fido.ErrPINPolicy) {
		t.Errorf("lowering: %v", err)
	}
	if err := m.SetMinPINLength(ctx, 6, true, p); err != nil {
		t.Fatalf("SetMinPINLength: %v", err)
	}
	if info, _ = d.Info(ctx); info.MinPINLength != 6 || !info.ForcePINChange {
		t.Errorf("info after SetMinPINLength: min %d force %v", info.MinPINLength, info.ForcePINChange)
	}
	if _, _, err := m.CredentialsMetadata(ctx, p); !errors.Is(err, fido.ErrPINPolicy) {
		t.Errorf("PIN use while a change is forced: %v", err)
	}
	if err := d.ChangePIN(ctx, []byte(testPIN), []byte("12345")); !errors.Is(err, fido.ErrPINPolicy) {
		t.Errorf("change to a too short PIN: %v", err)
	}
	if err := d.ChangePIN(ctx, []byte(testPIN), []byte(testPIN)); !errors.Is(err, fido.ErrPINPolicy) {
		t.Errorf("change to the same PIN: %v", err)
	}
	if err := d.ChangePIN(ctx, []byte(testPIN), []byte("482615")); err != nil {
		t.Fatalf("ChangePIN: %v", err)
	}
	if info, _ = d.Info(ctx); info.ForcePINChange {
		t.Error("forcePINChange still set after the change")
	}
	if _, _, err := m.CredentialsMetadata(ctx, pinOnly("482615")); err != nil {
		t.Errorf("new PIN: %v", err)
	}
	// Only a forced change, the minimum kept.
	if err := m.SetMinPINLength(ctx, 0, true, pinOnly("482615")); err != nil {
		t.Fatalf("force only: %v", err)
	}
	if info, _ = d.Info(ctx); info.MinPINLength != 6 || !info.ForcePINChange {
		t.Errorf("after force only: min %d force %v", info.MinPINLength, info.ForcePINChange)
	}
}

func TestManagerReset(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{ResetWindow: time.Second, Slots: 30})
	setPIN(t, d)
	p := pinOnly(testPIN)
	fillSites(t, d, 4, 2, p)
	m := manager(t, d)
	if err := m.SetMinPINLength(ctx, 5, false, p); err != nil {
		t.Fatal(err)
	}

	time.Sleep(1100 * time.Millisecond)
	if err := m.Reset(ctx, fido.Prompt{}); !errors.Is(err, fido.ErrResetTooLate) {
		t.Fatalf("reset outside the window: %v", err)
	}
	if st, _ := d.PINState(ctx); !st.Set {
		t.Fatal("refused reset wiped the PIN")
	}

	k.PowerCycle()
	d = reopen(t, d)
	m = manager(t, d)
	k.SetTouch(softkey.TouchDenied, 0)
	if err := m.Reset(ctx, fido.Prompt{}); !errors.Is(err, fido.ErrDenied) {
		t.Errorf("reset denied on the key: %v", err)
	}
	k.SetTouch(softkey.TouchAfterDelay, 20*time.Millisecond)
	pp := &pinPrompt{}
	if err := m.Reset(ctx, pp.prompt()); err != nil {
		t.Fatalf("reset within the window: %v", err)
	}
	if pp.touches != 1 {
		t.Errorf("%d touch prompts", pp.touches)
	}
	info, err := d.Info(ctx)
	if err != nil || info.HasOption("clientPin") || info.RemainingDiscoverable != 30 || info.MinPINLength != 4 ||
		info.HasOption("alwaysUv") || info.ForcePINChange {
		t.Errorf("after reset: %+v, %v", info, err)
	}
	setPIN(t, d)
	if rps, err := m.RelyingParties(ctx, p); err != nil || len(rps) != 0 {
		t.Errorf("RPs after reset: %v, %v", rps, err)
	}
}

func TestManagerBuiltInUV(t *testing.T) {
	ctx := context.Background()
	k, d := softKey(t, softkey.Options{BuiltInUV: true})
	st, err := d.PINState(ctx)
	if err != nil || st.Set || st.UVRetries != 5 {
		t.Fatalf("PINState %+v, %v", st, err)
	}
	// No PIN: user verification by the built-in UV, no prompt needed.
	att, err := d.MakeCredential(ctx, softMakeReq("ada", true), fido.Prompt{})
	if err != nil {
		t.Fatalf("MakeCredential with built-in UV: %v", err)
	}
	m := manager(t, d)
	creds, err := m.Credentials(ctx, "passkeydesk.test", fido.Prompt{})
	if err != nil || len(creds) != 1 || !bytes.Equal(creds[0].ID, att.CredentialID) {
		t.Fatalf("credentials by built-in UV: %+v, %v", creds, err)
	}
	// authenticatorConfig by built-in UV, no PIN.
	if err := m.SetAlwaysUV(ctx, true, fido.Prompt{}); err != nil {
		t.Fatalf("SetAlwaysUV by built-in UV: %v", err)
	}
	if info, _ := d.Info(ctx); !info.HasOption("alwaysUv") {
		t.Error("alwaysUv not on")
	}
	if _, err := d.GetAssertion(ctx, &fido.GetAssertionRequest{RPID: "passkeydesk.test", ClientDataHash: cdh("a")}, fido.Prompt{}); err == nil {
		t.Error("assertion without UV under alwaysUv")
	}
	if err := m.SetAlwaysUV(ctx, false, fido.Prompt{}); err != nil {
		t.Fatalf("SetAlwaysUV off by built-in UV: %v", err)
	}
	k.FailUV(1)
	if _, _, err := m.CredentialsMetadata(ctx, fido.Prompt{}); err == nil {
		t.Error("failed UV succeeded")
	}
	if st, _ = d.PINState(ctx); st.UVRetries != 4 {
		t.Errorf("UV retries after a failure: %d", st.UVRetries)
	}
	if _, _, err := m.CredentialsMetadata(ctx, fido.Prompt{}); err != nil {
		t.Errorf("UV again: %v", err)
	}
	k.FailUV(5)
	var last error
	for range 5 {
		_, _, last = m.CredentialsMetadata(ctx, fido.Prompt{})
	}
	if !errors.Is(last, fido.ErrUVBlocked) {
		t.Errorf("fifth failed UV: %v", last)
	}
	if st, _ = d.PINState(ctx); st.UVRetries != 0 {
		t.Errorf("UV retries when blocked: %d", st.UVRetries)
	}
	// With a PIN set, the PIN is preferred.
	setPIN(t, d)
	if _, _, err := m.CredentialsMetadata(ctx, pinOnly(testPIN)); err != nil {
		t.Errorf("PIN on a key with blocked UV: %v", err)
	}
}

func TestManagerPINBlocked(t *testing.T) {
	ctx := context.Background()
	_, d := softKey(t, softkey.Options{})
	setPIN(t, d)
	m := manager(t, d)
	wrong := &pinPrompt{pins: []string{"0000"}}
	// Three wrong PINs in a row: soft lock until the key is reinserted.
	if _, err := m.RelyingParties(ctx, wrong.prompt()); !errors.Is(err, fido.ErrPINAuthBlocked) {
		t.Fatalf("three wrong PINs: %v", err)
	}
	if st, _ := d.PINState(ctx); st.Retries != 5 {
		t.Errorf("retries %d", st.Retries)
	}
}
