package main_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passkeydesk/passkeydesk/account"
)

// TestPasskeyEventsCrossInstances: a requester follows an account's
// passkeys through instance A; a passkey bound through instance B arrives
// on A's stream as "added" within a second.
func TestPasskeyEventsCrossInstances(t *testing.T) {
	c := newCluster(t)
	u := c.seedUser(t, "follow@example.com", 2)
	c.start(t, 2)
	a, b := c.clients[0], c.clients[1]
	ctx := context.Background()
	register := func(grant, name string) *account.Passkey {
		t.Helper()
		opts, err := b.BeginRegistration(ctx, u.token, grant, account.KindSecurityKey)
		if err != nil {
			t.Fatal(err)
		}
		cred, err := newAuthenticator().Register(opts)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := b.FinishRegistration(ctx, u.token, grant, cred, name)
		if err != nil {
			t.Fatal(err)
		}
		return pk
	}
	first := register(u.grants[0], "First")
	key, err := a.CreateAPIKey(ctx, u.token, u.keyGrant, "follower")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", c.instances[0].addr+"/v1/requester/passkeys/events", nil)
	req.Header.Set("Authorization", "Bearer "+key.Secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("the stream on A: %d", res.StatusCode)
	}
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				lines <- sc.Text()
			}
		}
	}()
	wait := func(id string, within time.Duration) {
		t.Helper()
		select {
		case l := <-lines:
			if !strings.Contains(l, `"id":"`+id+`"`) {
				t.Fatalf("an event for another passkey: %s", l)
			}
		case <-time.After(within):
			t.Fatalf("no event for %s within %s", id, within)
		}
	}
	wait(first.ID, 5*time.Second)
	second := register(u.grants[1], "Second")
	wait(second.ID, time.Second)
}
