//go:build !cgo

package libfido2

import (
	"context"
	"time"

	"github.com/passkeydesk/passkeydesk/fido"
)

// Provider, in a build without cgo, finds no keys: every method returns
// ErrNoCgo.
type Provider struct{}

var _ fido.Provider = (*Provider)(nil)

// NewProvider returns a Provider.
func NewProvider() *Provider { return &Provider{} }

// Devices returns ErrNoCgo.
func (*Provider) Devices(context.Context) ([]fido.DeviceInfo, error) { return nil, ErrNoCgo }

// Open returns ErrNoCgo.
func (*Provider) Open(context.Context, string) (fido.Device, error) { return nil, ErrNoCgo }

// Watch sends nothing and closes the channel when ctx ends.
func (*Provider) Watch(ctx context.Context, _ time.Duration) <-chan []fido.DeviceInfo {
	ch := make(chan []fido.DeviceInfo)
	go func() {
		<-ctx.Done()
		close(ch)
	}()
	return ch
}
