package main

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// One copy of the app per data folder. The first copy holds a lock on
// passkeydesk.lock in the folder (released by the system when the process
// ends, however it ends) and listens on a unix socket whose path it writes
// into that file. A second copy finds the lock held, sends "show" to the
// socket and waits for "shown": the first copy comes to the front and the
// second exits. Without that answer the second copy says why it cannot go
// on instead of running without the phone page and the approvals API,
// which only one copy can serve.

// lockName is the lock file in the data folder.
const lockName = "passkeydesk.lock"

// errShownOther: another copy holds the data folder and came to the front.
var errShownOther = errors.New("already open on this data folder: that copy was brought to the front")

// answerTimeout bounds the wait for the other copy (the tests shorten it).
var answerTimeout = 5 * time.Second

// instance is this copy's hold on its data folder.
type instance struct {
	lock *os.File
	ln   net.Listener

	mu      sync.Mutex
	show    func() // brings the window to the front; nil until set
	pending bool   // a show arrived before show was set
}

// claimDataDir takes dir for this copy. When another copy holds it, it
// asks that copy to come to the front and returns errShownOther, or an
// error that says why it could not.
func claimDataDir(dir string) (*instance, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the data folder's lock file: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking the data folder: %w", err)
	}
	if !held {
		defer f.Close()
		return nil, showOther(f, dir)
	}
	inst := &instance{lock: f}
	if err := inst.listen(dir); err != nil {
		inst.close()
		return nil, err
	}
	return inst, nil
}

// listen opens the socket and writes its path into the lock file.
func (inst *instance) listen(dir string) error {
	path, err := socketPath(dir)
	if err != nil {
		return err
	}
	os.Remove(path) // one a copy that crashed left behind; the lock says none runs
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listening for other copies of the app: %w", err)
	}
	os.Chmod(path, 0o600)
	inst.ln = ln
	if err := inst.lock.Truncate(0); err != nil {
		return fmt.Errorf("writing the data folder's lock file: %w", err)
	}
	if _, err := inst.lock.WriteAt([]byte(path+"\n"), 0); err != nil {
		return fmt.Errorf("writing the data folder's lock file: %w", err)
	}
	go inst.serve()
	return nil
}

// socketPath is a new socket in the user's runtime folder (a unix
// socket's path is limited to about 100 bytes, so not in the data
// folder), named after the data folder and a random part.
func socketPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	base := os.Getenv("XDG_RUNTIME_DIR")
	if base == "" {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(abs))
	nonce := make([]byte, 4)
	rand.Read(nonce)
	return filepath.Join(base, "passkeydesk-"+hex.EncodeToString(sum[:6])+"-"+hex.EncodeToString(nonce)+".sock"), nil
}

// serve answers "show" from other copies.
func (inst *instance) serve() {
	for {
		c, err := inst.ln.Accept()
		if err != nil {
			return // closed
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(answerTimeout))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || strings.TrimSpace(line) != "show" {
				return
			}
			inst.mu.Lock()
			show := inst.show
			if show == nil {
				inst.pending = true
			}
			inst.mu.Unlock()
			if show != nil {
				show()
			}
			c.Write([]byte("shown\n"))
		}()
	}
}

// onShow sets how the window comes to the front; a show that arrived
// before runs now.
func (inst *instance) onShow(show func()) {
	inst.mu.Lock()
	inst.show = show
	pending := inst.pending
	inst.pending = false
	inst.mu.Unlock()
	if pending {
		show()
	}
}

// close gives the data folder up.
func (inst *instance) close() {
	if inst.ln != nil {
		inst.ln.Close() // removes the socket
	}
	inst.lock.Close() // releases the lock
}

// showOther asks the copy holding dir, whose socket is named in the lock
// file f, to come to the front.
func showOther(f *os.File, dir string) error {
	deadline := time.Now().Add(answerTimeout)
	var last error
	for time.Now().Before(deadline) {
		// The holder may have just taken the lock and not yet written
		// its socket's path.
		b := make([]byte, 4096)
		n, _ := f.ReadAt(b, 0)
		path := strings.TrimSpace(string(b[:n]))
		if path == "" {
			last = errors.New("it has not said where to reach it")
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if last = askToShow(path, deadline); last == nil {
			return errShownOther
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("another copy of Passkey Desk has the data folder %s open but did not come to the front (%v). Switch to it, or close it and start again; to run a second copy, give it another --data-dir", dir, last)
}

// askToShow sends "show" to the socket at path and waits for "shown".
func askToShow(path string, deadline time.Time) error {
	c, err := net.DialTimeout("unix", path, time.Until(deadline))
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(deadline)
	if _, err := c.Write([]byte("show\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	if strings.TrimSpace(line) != "shown" {
		return fmt.Errorf("answered %q", strings.TrimSpace(line))
	}
	return nil
}

// showProblem says why the app cannot start in a small window of its own
// (a double-clicked app has no terminal to read), and waits until it is
// closed.
func showProblem(title, text string) {
	if runtime.GOOS == "linux" && os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return // no display: the log says it
	}
	fa := app.NewWithID(appID)
	w := fa.NewWindow(title)
	l := widget.NewLabel(strings.ToUpper(text[:1]) + text[1:])
	l.Wrapping = fyne.TextWrapWord
	w.SetContent(container.NewBorder(nil, container.NewHBox(layout.NewSpacer(), widget.NewButton("Close", fa.Quit)), nil, nil, l))
	w.Resize(fyne.NewSize(520, 200))
	w.ShowAndRun()
}
