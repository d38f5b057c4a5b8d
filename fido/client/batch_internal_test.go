package client

import (
	"bytes"
	"context"
	"testing"

	"github.com/passkeydesk/passkeydesk/fido"
)

func descriptors48(n int) []fido.CredentialDescriptor {
	out := make([]fido.CredentialDescriptor, n)
	for i := range out {
		out[i].ID = bytes.Repeat([]byte{byte(i)}, 48)
	}
	return out
}

// TestBatches: lists are cut by the key's maxCredentialCountInList and
// maxMsgSize, a key that says neither gets a list that fits 1024 bytes
// whole and a longer one credential by credential, and a platform
// authenticator gets any list whole.
func TestBatches(t *testing.T) {
	const base = 60 // a getAssertion for a short RP ID, without its list
	for _, tc := range []struct {
		name  string
		info  fido.Info
		n     int
		sizes []int
	}{
		{"empty", fido.Info{MaxCredsInList: 8, MaxMsgSize: 1200}, 0, []int{0}},
		{"fits", fido.Info{MaxCredsInList: 8, MaxMsgSize: 1200}, 8, []int{8}},
		{"by count", fido.Info{MaxCredsInList: 8, MaxMsgSize: 1200}, 20, []int{8, 8, 4}},
		{"by size", fido.Info{MaxCredsInList: 64, MaxMsgSize: 1200}, 20, []int{14, 6}},
		{"by default size", fido.Info{MaxCredsInList: 64}, 20, []int{12, 8}},
		{"says nothing, fits", fido.Info{}, 12, []int{12}},
		{"says nothing, too long", fido.Info{}, 13, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"platform", fido.Info{Transports: []string{"internal"}}, 150, []int{150}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := descriptors48(tc.n)
			bs := batches(list, &tc.info, base)
			var sizes []int
			var joined []fido.CredentialDescriptor
			for _, b := range bs {
				sizes = append(sizes, len(b))
				joined = append(joined, b...)
				req := &fido.GetAssertionRequest{RPID: "example.com", ClientDataHash: make([]byte, 32), Allow: b}
				if len(bs) > 1 && req.EncodedSize()+requestAllowance > tc.info.MsgSizeLimit() {
					t.Errorf("a batch of %d makes a request of %d bytes", len(b), req.EncodedSize())
				}
			}
			if len(sizes) != len(tc.sizes) {
				t.Fatalf("batches of %v, want %v", sizes, tc.sizes)
			}
			for i := range sizes {
				if sizes[i] != tc.sizes[i] {
					t.Fatalf("batches of %v, want %v", sizes, tc.sizes)
				}
			}
			for i := range joined {
				if !bytes.Equal(joined[i].ID, list[i].ID) {
					t.Fatalf("batch order differs from the list's at %d", i)
				}
			}
		})
	}
}

// TestUsable drops IDs longer than the key's maxCredentialIdLength, and
// nothing when the key does not say.
func TestUsable(t *testing.T) {
	list := []fido.CredentialDescriptor{{ID: make([]byte, 48)}, {ID: make([]byte, 49)}, {ID: make([]byte, 16)}}
	if got := usable(list, &fido.Info{MaxCredIDLength: 48}); len(got) != 2 || len(got[1].ID) != 16 {
		t.Errorf("usable: %d left", len(got))
	}
	if got := usable(list, &fido.Info{}); len(got) != 3 {
		t.Errorf("usable without a limit: %d left", len(got))
	}
}

// TestAskOnce: the PIN is asked once and given again, a copy each time
// (the device zeroes what it gets), until the key says it is wrong, and
// asked again once forgotten.
func TestAskOnce(t *testing.T) {
	asked := 0
	pins := []string{"1111", "2222", "3333"}
	p, forget := askOnce(fido.Prompt{PIN: func(context.Context, fido.PINRequest) ([]byte, error) {
		asked++
		return []byte(pins[asked-1]), nil
	}})
	ctx := context.Background()
	for i, tc := range []struct {
		wrong bool
		want  string
		asked int
	}{
		{false, "1111", 1},
		{false, "1111", 1},
		{true, "2222", 2},
		{false, "2222", 2},
	} {
		pin, err := p.PIN(ctx, fido.PINRequest{Wrong: tc.wrong})
		if err != nil || string(pin) != tc.want || asked != tc.asked {
			t.Fatalf("request %d: PIN %q, asked %d, %v; want %q, asked %d", i, pin, asked, err, tc.want, tc.asked)
		}
		clear(pin)
	}
	forget()
	if pin, _ := p.PIN(ctx, fido.PINRequest{}); string(pin) != "3333" || asked != 3 {
		t.Fatalf("after forget: %q, asked %d; want the PIN asked again", pin, asked)
	}
}
