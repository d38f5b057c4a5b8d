package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/sqlstore"
	"github.com/passkeydesk/passkeydesk/account/storetest"
)

// TestStoreContract runs the store conformance suite on SQLite.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) account.Store {
		s, err := sqlstore.Open(filepath.Join(t.TempDir(), "passkeydesk.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
