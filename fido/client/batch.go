package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/passkeydesk/passkeydesk/fido"
)

// A key takes requests up to its maxMsgSize and, it says, allow and
// exclude lists up to its maxCredentialCountInList (CTAP 2.1 §6.4). A
// longer list goes in batches, as browsers send it: each batch is probed
// with a silent getAssertion (up=false: no touch, nothing signed over the
// relying party's challenge) until the key answers for one of its
// credentials, and the request itself then names only that credential
// (or, for an exclude list the key holds none of, none).

// requestAllowance is room kept in a request for what a device adds beyond
// fido's EncodedSize: options, the PIN/UV auth parameter and its
// protocol, the credProtect extension, further algorithms.
const requestAllowance = 96

// listHead is room for a list's map key and array head.
const listHead = 1 + 3

// usable drops the descriptors the key cannot have made: IDs longer than
// its maxCredentialIdLength.
func usable(list []fido.CredentialDescriptor, info *fido.Info) []fido.CredentialDescriptor {
	if info.MaxCredIDLength <= 0 {
		return list
	}
	var out []fido.CredentialDescriptor
	for _, d := range list {
		if len(d.ID) <= info.MaxCredIDLength {
			out = append(out, d)
		}
	}
	return out
}

// batches cuts list into lists the key takes in a request of base bytes
// without its list. A platform authenticator (transport "internal") is
// in this process, behind no transport, and takes any list. Otherwise a
// batch holds at most the key's maxCredentialCountInList and fits its
// maxMsgSize (1024 bytes when it does not say). A key that does not say
// how many it takes gets a list that fits whole, and a longer one one
// credential at a time, as browsers do. One batch means the list goes as
// it is.
func batches(list []fido.CredentialDescriptor, info *fido.Info, base int) [][]fido.CredentialDescriptor {
	if len(list) == 0 || keyAttachment(info) == AttachmentPlatform {
		return [][]fido.CredentialDescriptor{list}
	}
	room := info.MsgSizeLimit() - base - requestAllowance - listHead
	count := info.MaxCredsInList
	if count <= 0 {
		size := 0
		for _, d := range list {
			size += d.EncodedSize()
		}
		if size <= room {
			return [][]fido.CredentialDescriptor{list}
		}
		count = 1
	}
	var out [][]fido.CredentialDescriptor
	var cur []fido.CredentialDescriptor
	size := 0
	for _, d := range list {
		n := d.EncodedSize()
		if len(cur) > 0 && (len(cur) == count || size+n > room) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, d)
		size += n
	}
	return append(out, cur)
}

// probe finds the credential of the batches that the key holds for rpID,
// batch by batch, with silent getAssertions; nil when it holds none. The
// client data hash is random: no assertion made here can be passed off
// as an answer to the relying party. With uv the probes verify the user
// (a credential that needs verification answers only then); p.PIN is
// asked as for any request, p.Touch never.
func probe(ctx context.Context, dev fido.Device, rpID string, batches [][]fido.CredentialDescriptor, uv bool, p fido.Prompt) (*fido.CredentialDescriptor, error) {
	cdh := make([]byte, 32)
	rand.Read(cdh)
	for _, batch := range batches {
		req := &fido.GetAssertionRequest{RPID: rpID, ClientDataHash: cdh, Allow: batch, UserVerification: uv, Silent: true}
		as, err := dev.GetAssertion(ctx, req, fido.Prompt{PIN: p.PIN})
		if errors.Is(err, fido.ErrNoCredentials) || (err == nil && len(as) == 0) {
			continue
		}
		if err != nil {
			return nil, err
		}
		id := as[0].CredentialID
		if len(id) == 0 && len(batch) == 1 {
			return &batch[0], nil
		}
		for i := range batch {
			if bytes.Equal(batch[i].ID, id) {
				return &batch[i], nil
			}
		}
		return nil, fmt.Errorf("client: the key answered for a credential it was not asked about")
	}
	return nil, nil
}

// probeUV is whether probes verify the user: when the request does and the
// key verifies by PIN, which askOnce gives again without asking. A key
// with built-in verification alone is probed without, so that the user
// is not asked for a fingerprint per batch.
func probeUV(requestUV bool, info *fido.Info) bool {
	return requestUV && info.HasOption("clientPin")
}

// askOnce wraps p.PIN so that a ceremony of several requests (the probes
// of a long list, then the request itself) asks its user for the PIN
// once, as a browser asks once for its pinUvAuthToken: the PIN given is
// given again to the next request unless the key said it was wrong. The
// returned function forgets it.
func askOnce(p fido.Prompt) (fido.Prompt, func()) {
	if p.PIN == nil {
		return p, func() {}
	}
	var (
		mu   sync.Mutex
		kept []byte
	)
	ask := p.PIN
	p.PIN = func(ctx context.Context, req fido.PINRequest) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if kept != nil && !req.Wrong {
			return bytes.Clone(kept), nil
		}
		clear(kept)
		kept = nil
		pin, err := ask(ctx, req)
		if err == nil {
			kept = bytes.Clone(pin)
		}
		return pin, err
	}
	return p, func() {
		mu.Lock()
		clear(kept)
		kept = nil
		mu.Unlock()
	}
}
