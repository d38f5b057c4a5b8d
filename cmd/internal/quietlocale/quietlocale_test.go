package quietlocale

import (
	"bytes"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/lang"
)

// TestQuietLocale: with Debian's default C.UTF-8, Fyne's locale lookup
// logs an error unless quietLocale ran first; real languages and an
// explicit LANGUAGE are left alone.
func TestQuietLocale(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		lcAll, lang, language string
		set                   bool
	}{
		{"C.UTF-8", "", "C.UTF-8", "", true},
		{"POSIX with modifier", "", "POSIX@euro", "", true},
		{"LC_ALL C.utf8 over a real LANG", "C.utf8", "de_DE.UTF-8", "", true},
		{"plain C", "", "C", "", false},
		{"unset", "", "", "", false},
		{"a real language", "", "de_DE.UTF-8", "", false},
		{"LANGUAGE already set", "", "C.UTF-8", "fr", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LC_ALL", tc.lcAll)
			t.Setenv("LC_MESSAGES", "")
			t.Setenv("LANG", tc.lang)
			t.Setenv("LANGUAGE", tc.language)
			if got := quietLocale(); got != tc.set {
				t.Fatalf("quietLocale() = %v, want %v", got, tc.set)
			}
			if want := map[bool]string{true: "en", false: tc.language}[tc.set]; os.Getenv("LANGUAGE") != want {
				t.Fatalf("LANGUAGE=%q, want %q", os.Getenv("LANGUAGE"), want)
			}
			if got := fyneLocaleLog(t); got != "" {
				t.Fatalf("Fyne logged about the locale:\n%s", got)
			}
		})
	}
	// Without it, C.UTF-8 makes Fyne log: what quietLocale is for.
	t.Setenv("LC_ALL", "")
	t.Setenv("LANG", "C.UTF-8")
	t.Setenv("LANGUAGE", "")
	if got := fyneLocaleLog(t); !strings.Contains(got, "Error parsing user locale C") {
		t.Fatalf("Fyne did not log about C.UTF-8; the test no longer shows the problem: %q", got)
	}
}

// fyneLocaleLog makes Fyne read the user's locales, as it does at start,
// and returns what it logged.
func fyneLocaleLog(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	log.SetOutput(&buf)
	defer log.SetOutput(os.Stderr)
	lang.SystemLocale()
	if err := lang.AddTranslationsForLocale([]byte(`{}`), "en"); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestBeforeFyneStarts builds a program that imports this package and
// Fyne, as cmd/passkeydesk does, and runs it under C.UTF-8: Fyne reads the
// locale while it initialises, so only an init that runs first helps. The
// same program without this package shows the log line it prevents.
func TestBeforeFyneStarts(t *testing.T) {
	dir := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8"}
	for _, tc := range []struct {
		prog string
		logs bool
	}{{"probe", false}, {"control", true}} {
		bin := filepath.Join(dir, tc.prog)
		if out, err := exec.Command("go", "build", "-o", bin, "./testdata/"+tc.prog).CombinedOutput(); err != nil {
			t.Fatalf("building %s: %v\n%s", tc.prog, err, out)
		}
		cmd := exec.Command(bin)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.prog, err, stderr.String())
		}
		logged := strings.Contains(stderr.String(), "Error parsing user locale")
		if logged != tc.logs || strings.TrimSpace(string(out)) != "en" {
			t.Errorf("%s under C.UTF-8: printed %q, logged %v (want %v):\n%s", tc.prog, out, logged, tc.logs, stderr.String())
		}
	}
}
