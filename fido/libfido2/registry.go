package libfido2

import (
	"strings"
	"sync"

	"github.com/passkeydesk/passkeydesk/fido"
)

// SimScheme starts the path of a simulated device: sim://NAME.
const SimScheme = "sim://"

// The registry of simulated devices.
var sims = struct {
	sync.Mutex
	devs map[string]fido.HIDDevice
}{
	devs: map[string]fido.HIDDevice{},
}

// Register makes d available as the device sim://name: it appears in
// Provider.Devices and Provider.Open routes it through libfido2's custom
// I/O hook, so libfido2 drives it exactly as a USB key. Registering a name
// again replaces the earlier device. unregister removes it from the list;
// connections already open stay open until closed (a device that wants to
// look unplugged fails its HIDConn instead).
func Register(name string, d fido.HIDDevice) (unregister func()) {
	if name == "" || strings.ContainsRune(name, 0) || d == nil {
		panic("libfido2: Register needs a name without NUL bytes and a device")
	}
	sims.Lock()
	sims.devs[name] = d
	sims.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			sims.Lock()
			if sims.devs[name] == d {
				delete(sims.devs, name)
			}
			sims.Unlock()
		})
	}
}
