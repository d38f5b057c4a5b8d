package main

import (
	"io"
	"log/slog"
	"net"
	"slices"
	"testing"

	"github.com/passkeydesk/passkeydesk/account"
	"github.com/passkeydesk/passkeydesk/account/accounttest"
)

func TestRelyingParty(t *testing.T) {
	tests := []struct {
		publicURL string
		rpID      string
		origins   []string
		wantErr   bool
	}{
		{"http://localhost:8787", "localhost", []string{"http://localhost", "http://localhost:8787"}, false},
		{"https://passkeys.example.com/", "passkeys.example.com", []string{"https://passkeys.example.com"}, false},
		{"https://127.0.0.1:8787", "", nil, true},
		{"passkeys.example.com", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.publicURL, func(t *testing.T) {
			cfg := account.Config{RPID: "localhost", Origins: []string{"http://localhost"}}
			err := relyingParty(&cfg, tt.publicURL)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if cfg.RPID != tt.rpID || !slices.Equal(cfg.Origins, tt.origins) || cfg.PublicURL != tt.origins[len(tt.origins)-1] {
				t.Errorf("RPID %q, origins %q, public URL %q", cfg.RPID, cfg.Origins, cfg.PublicURL)
			}
		})
	}
}

// TestPhonePagePortTaken: a taken port is an error for the UI to show, not
// a reason to stop the app.
func TestPhonePagePortTaken(t *testing.T) {
	svc, _, _ := accounttest.NewService(t, accounttest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := servePhonePage(svc, "http://localhost", ln.Addr().String(), log)
	if err == nil || srv != nil {
		t.Fatalf("serving on a taken port: %v, %v", srv, err)
	}
	srv, err = servePhonePage(svc, "http://localhost", "127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
}
