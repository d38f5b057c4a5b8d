package platform

import (
	"bytes"
	"context"
	"encoding/base64"
	"testing"
)

// fuzzMaster is the master key the fuzz seeds are sealed under, so that
// mutations of them reach the code that opens records.
var fuzzMaster = bytes.Repeat([]byte{0x5a}, 32)

// seedStore makes a real store with a PIN and two credentials under
// fuzzMaster and returns its bytes. testdata/store-v1.json is the same in
// format 1.
func seedStore(t testing.TB) []byte {
	t.Helper()
	ctx := context.Background()
	kr := newMemKeyring()
	kr.Set(KeyringService, KeyringUser, base64.StdEncoding.EncodeToString(fuzzMaster))
	a := newAuth(t, t.TempDir(), kr, nil)
	if err := a.SetPIN(ctx, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alice", "bob"} {
		if _, err := a.MakeCredential(ctx, makeReq(n), answer(testPIN).prompt()); err != nil {
			t.Fatal(err)
		}
	}
	return readFile(t, a.path)
}

// FuzzDecodeStore feeds the store decoder, and the opening of what it
// accepts, arbitrary bytes: it must return an error, never panic.
func FuzzDecodeStore(f *testing.F) {
	good := seedStore(f)
	f.Add(good)
	f.Add(readFile(f, "testdata/store-v1.json"))
	for _, n := range []int{0, 1, len(good) / 3, len(good) / 2, len(good) - 1} {
		f.Add(good[:n])
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"passkeydesk-platform-v1","keyId":"AAAAAAAAAAAAAAAAAAAAAA==","state":"","records":[]}`))
	f.Add([]byte(`{"format":"passkeydesk-platform-v1","records":[{"id":null}]} trailing`))
	f.Add(bytes.Replace(good, []byte(`"records":[`), []byte(`"records":[{},`), 1))
	k, err := deriveKeys(fuzzMaster)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeStore(data)
		if err != nil {
			if s != nil {
				t.Fatalf("store and error %v", err)
			}
			return
		}
		if s.v1() {
			if st, err := k.openState(s); err == nil && st.PIN != nil {
				if st.PIN.check() != nil {
					t.Fatal("a PIN hash out of range opened")
				}
			}
		} else if s.PIN != nil {
			if pf, err := k.openPINFile(s); err == nil && pf.check() != nil {
				t.Fatal("PIN parameters out of range opened")
			}
		}
		for i := range s.Records {
			rec, err := k.openRecord(&s.Records[i], s.v1())
			if err == nil && len(rec.UserHandle) == 0 {
				t.Fatal("a record without a user handle opened")
			}
			if err == nil && !s.v1() && len(rec.PrivateKey) > 0 {
				t.Fatal("a format 2 record with a bare private key opened")
			}
		}
	})
}
