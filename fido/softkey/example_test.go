package softkey_test

import (
	"fmt"
	"time"

	"github.com/passkeydesk/passkeydesk/fido/softkey"
)

// A key for a demo or a test: plug it in, decide how its user behaves,
// and hand it to fido/libfido2 (which opens it at sim://demo) or speak
// CTAPHID to it directly.
func Example() {
	k := softkey.New(softkey.Options{Name: "demo", Slots: 5, TouchTimeout: 10 * time.Second})
	k.SetTouch(softkey.TouchAfterDelay, 300*time.Millisecond) // a slow finger
	fmt.Println(k.HIDInfo().Path, k.HIDInfo().Product)

	conn, err := k.OpenHID()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	// CTAPHID_INIT on the broadcast channel (CTAP 2.1 §11.2.9.1.3).
	init := make([]byte, softkey.ReportSize)
	copy(init, []byte{0xff, 0xff, 0xff, 0xff, 0x86, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8})
	if err := conn.WriteReport(init); err != nil {
		panic(err)
	}
	r, err := conn.ReadReport(time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Printf("INIT answered, capabilities %#02x\n", r[7+16])

	k.Unplug() // open connections now fail with fido.ErrKeyRemoved
	_, err = conn.ReadReport(time.Second)
	fmt.Println(err)
	// Output:
	// sim://demo Simulated security key
	// INIT answered, capabilities 0x0d
	// fido: the key was removed
}
