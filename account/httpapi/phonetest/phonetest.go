// Package phonetest lets tests use Debian's Chromium as the phone that
// opens the enrollment page: a headless browser driven through chromedp,
// and tabs that each stand for one phone, with a phone's User-Agent and a
// WebAuthn virtual authenticator in place of the phone's own platform
// authenticator. Only tests import it.
package phonetest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// IPhoneUA is the User-Agent of an iPhone's Safari.
const IPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"

// chromiumPath finds the browser. Under CI=true a missing browser fails
// the test; elsewhere the test is skipped with the reason.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed (make deps installs Debian's chromium); CI needs it as the phone in this test")
	}
	t.Skip("chromium is not installed: run make deps to install Debian's chromium")
	return ""
}

// Browser starts one headless Chromium for the test, stopped when the
// test ends, and returns its context.
func Browser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return bctx
}

// Phone opens a tab of browser in a browser context of its own (its own
// storage, as a separate phone has) with the given User-Agent and a
// virtual platform authenticator: CTAP2 over the internal transport,
// resident keys, user verification done, backed up as a synced passkey
// provider backs up. Presence is simulated, so create() does not wait for
// a touch.
func Phone(t testing.TB, browser context.Context, userAgent string) context.Context {
	t.Helper()
	tctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	err := chromedp.Do(tctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: userAgent}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol:                    webauthn.AuthenticatorProtocolCtap2,
				Transport:                   webauthn.AuthenticatorTransportInternal,
				HasResidentKey:              true,
				HasUserVerification:         true,
				IsUserVerified:              true,
				AutomaticPresenceSimulation: true,
				DefaultBackupEligibility:    true,
				DefaultBackupState:          true,
			},
		})
		return err
	}))
	if err != nil {
		t.Fatalf("setting up the phone tab: %v", err)
	}
	return tctx
}
