package main

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOneCopyPerDataFolder: a second claim on a held data folder brings
// the holder to the front (also before its window exists) and fails with
// errShownOther; once the holder lets go, the folder can be claimed again.
func TestOneCopyPerDataFolder(t *testing.T) {
	dir := t.TempDir()
	first, err := claimDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A show that arrives before the window is up waits for it.
	if _, err := claimDataDir(dir); !errors.Is(err, errShownOther) {
		t.Fatalf("a second copy before the window: %v", err)
	}
	shown := make(chan struct{}, 3)
	first.onShow(func() { shown <- struct{}{} })
	for i := range 2 {
		if i == 1 {
			if _, err := claimDataDir(dir); !errors.Is(err, errShownOther) {
				t.Fatalf("a second copy: %v", err)
			}
		}
		select {
		case <-shown:
		case <-time.After(3 * time.Second):
			t.Fatalf("show %d did not reach the first copy", i)
		}
	}
	// Another data folder is another copy's.
	other, err := claimDataDir(t.TempDir())
	if err != nil {
		t.Fatalf("another folder: %v", err)
	}
	other.close()

	first.close()
	again, err := claimDataDir(dir)
	if err != nil {
		t.Fatalf("claiming after the first copy closed: %v", err)
	}
	defer again.close()
	select {
	case <-shown:
		t.Fatal("the closed copy was asked to show")
	default:
	}
}

// TestOneCopyThatDoesNotAnswer: a holder that does not answer is said to
// be there, with what to do, instead of being run beside.
func TestOneCopyThatDoesNotAnswer(t *testing.T) {
	answerTimeout = 300 * time.Millisecond
	defer func() { answerTimeout = 5 * time.Second }()
	dir := t.TempDir()
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if held, err := tryLock(f); !held || err != nil {
		t.Fatalf("lock: %v, %v", held, err)
	}
	for _, tc := range []struct {
		name   string
		listen bool // a socket that accepts and never answers
	}{{"no path yet", false}, {"silent socket", true}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.listen {
				path := filepath.Join(t.TempDir(), "silent.sock")
				ln, err := net.Listen("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				go func() {
					for {
						c, err := ln.Accept()
						if err != nil {
							return
						}
						defer c.Close()
					}
				}()
				f.Truncate(0)
				f.WriteAt([]byte(path+"\n"), 0)
			}
			start := time.Now()
			_, err := claimDataDir(dir)
			if err == nil || errors.Is(err, errShownOther) || !strings.Contains(err.Error(), "has the data folder "+dir+" open but did not come to the front") ||
				!strings.Contains(err.Error(), "another --data-dir") {
				t.Fatalf("claim beside a silent copy: %v", err)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Fatalf("it took %v to give up", took)
			}
		})
	}
}
