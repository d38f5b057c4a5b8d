package client_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido/client"
)

// FuzzParseCreationOptions feeds outside JSON to the creation options
// parser: it must refuse with an *OptionsError or return options that
// keep the invariants a browser's checks establish. Seeded from the
// table of TestParseCreationOptions.
func FuzzParseCreationOptions(f *testing.F) {
	for _, tc := range creationCases {
		f.Add([]byte(tc.doc))
	}
	c := tableClient(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := c.ParseCreationOptions(data)
		if err != nil {
			var oe *client.OptionsError
			if !errors.As(err, &oe) {
				t.Fatalf("error %v (%T) is not an *OptionsError", err, err)
			}
			return
		}
		if len(o.Challenge) == 0 || len(o.User.ID) < 1 || len(o.User.ID) > 64 || len(o.Algorithms) == 0 {
			t.Fatalf("accepted options break the invariants: %+v", o)
		}
		checkRPID(t, o.RP.ID)
		for _, d := range o.Exclude {
			if len(d.ID) == 0 {
				t.Fatalf("empty exclude ID accepted")
			}
		}
	})
}

// FuzzParseRequestOptions does the same for request options, seeded from
// the table of TestParseRequestOptions.
func FuzzParseRequestOptions(f *testing.F) {
	for _, tc := range requestCases {
		f.Add([]byte(tc.doc))
	}
	c := tableClient(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := c.ParseRequestOptions(data)
		if err != nil {
			var oe *client.OptionsError
			if !errors.As(err, &oe) {
				t.Fatalf("error %v (%T) is not an *OptionsError", err, err)
			}
			return
		}
		if len(o.Challenge) == 0 {
			t.Fatal("empty challenge accepted")
		}
		checkRPID(t, o.RPID)
		for _, d := range o.Allow {
			if len(d.ID) == 0 {
				t.Fatalf("empty allow ID accepted")
			}
		}
	})
}

// checkRPID: an accepted RP ID is the table origin's host or a
// registrable suffix of it.
func checkRPID(t *testing.T, rpID string) {
	t.Helper()
	const host = "login.example.com"
	if rpID != host && rpID != "example.com" {
		t.Fatalf("RP ID %q accepted for %s", rpID, host)
	}
	if !strings.HasSuffix(host, rpID) {
		t.Fatalf("RP ID %q is not a suffix of %s", rpID, host)
	}
}
