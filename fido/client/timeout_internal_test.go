package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// waitingDevice waits for a touch that never comes, until its context
// ends, and then answers as libfido2 does for a cancel.
type waitingDevice struct{ fido.Device }

func (waitingDevice) Info(context.Context) (*fido.Info, error) {
	return &fido.Info{Options: map[string]bool{"rk": true, "clientPin": true}, Transports: []string{"usb"}}, nil
}

func (waitingDevice) MakeCredential(ctx context.Context, _ *fido.MakeCredentialRequest, _ fido.Prompt) (*fido.Attestation, error) {
	<-ctx.Done()
	return nil, fido.ErrCanceled
}

func (waitingDevice) GetAssertion(ctx context.Context, _ *fido.GetAssertionRequest, _ fido.Prompt) ([]fido.Assertion, error) {
	<-ctx.Done()
	return nil, fido.ErrCanceled
}

func TestRelyingPartyTimeout(t *testing.T) {
	saved := minTimeout
	minTimeout = 0
	t.Cleanup(func() { minTimeout = saved })
	c, err := New("http://localhost")
	if err != nil {
		t.Fatal(err)
	}
	const (
		creation = `{"rp":{"name":"x"},"user":{"id":"AQ","name":"a","displayName":"A"},"challenge":"AQID","pubKeyCredParams":[],"timeout":20}`
		request  = `{"challenge":"AQID","timeout":20}`
	)
	start := time.Now()
	if _, err := c.Create(context.Background(), waitingDevice{}, []byte(creation), fido.Prompt{}); !errors.Is(err, fido.ErrTimeout) || !errors.Is(err, fido.ErrCanceled) {
		t.Errorf("Create past the RP's timeout: %v, want ErrTimeout (wrapping the key's ErrCanceled)", err)
	}
	if _, err := c.Get(context.Background(), waitingDevice{}, []byte(request), fido.Prompt{}); !errors.Is(err, fido.ErrTimeout) {
		t.Errorf("Get past the RP's timeout: %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}

	// The caller's own cancel stays a cancel.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, waitingDevice{}, []byte(request), fido.Prompt{}); !errors.Is(err, fido.ErrCanceled) || errors.Is(err, fido.ErrTimeout) {
		t.Errorf("Get cancelled by the caller: %v, want ErrCanceled only", err)
	}
}
