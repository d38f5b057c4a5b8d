package ui_test

// Real-window tests: the passkeydesk binary, built with plain `go build`,
// runs under an Xvfb server the test starts itself on a free display, and
// the test looks at what the window shows. They need Xvfb, xdotool and xwd
// (Debian: xvfb, xdotool, x11-apps; `make deps` installs them). Without
// them the tests skip, except under CI=true, where they fail.
//
// The helpers here are shared with BenchmarkStartup (app_startup_bench_test.go).

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRealWindow(t *testing.T) {
	requireXTools(t)
	bin := buildCommand(t, "./cmd/passkeydesk", t.TempDir())
	x := startXvfb(t)

	app, win := launchPainted(t, x, bin, "--data-dir", t.TempDir())
	img, err := x.capture(win)
	if err != nil {
		t.Fatal(err)
	}
	if app.exited() {
		t.Fatal("passkeydesk exited while its window was on screen")
	}

	path := filepath.Join(screenshotDir(t), "real-window.png")
	if err := writePNG(path, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	w, h, err := x.windowSize(win)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Errorf("screenshot is %dx%d, the window %dx%d", got.X, got.Y, w, h)
	}
	if w < 200 || h < 150 {
		t.Errorf("window is %dx%d; too small to hold a screen", w, h)
	}

	s := colourStats(img)
	t.Logf("window %dx%d: %d distinct colours, the commonest covers %.1f%%", w, h, s.distinct, 100*s.dominantShare)
	if s.distinct < 32 {
		t.Errorf("window shows only %d distinct colours; want a rendered screen with text (≥32)", s.distinct)
	}
	if s.dominantShare > 0.985 {
		t.Errorf("one colour covers %.1f%% of the window; want a screen with content", 100*s.dominantShare)
	}
}

// launchPainted starts bin with args on x and waits until its window is
// painted and its first screen laid out; it returns the process, stopped
// when the test ends (its output logged if the test failed), and the
// window.
func launchPainted(t *testing.T, x *xvfb, bin string, args ...string) (*xprocess, string) {
	t.Helper()
	app := x.launch(t, bin, args...)
	t.Cleanup(func() {
		app.stop()
		if t.Failed() {
			t.Logf("passkeydesk output:\n%s", app.output())
		}
	})
	win, err := app.waitWindow("Passkey Desk", 50*time.Millisecond, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.waitPainted(win, 50*time.Millisecond, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// The first frame can come before the first screen has laid out; give
	// it a moment before anything judges the picture.
	time.Sleep(time.Second)
	return app, win
}

// requireXTools stops tb when Xvfb, xdotool or xwd is missing: a skip on a
// developer's machine, a failure under CI=true, where nothing may skip
// silently.
func requireXTools(tb testing.TB) {
	tb.Helper()
	var missing []string
	for _, tool := range []string{"Xvfb", "xdotool", "xwd"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("real-window tests need %s (run `make deps`)", strings.Join(missing, ", "))
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// buildCommand builds the main package pkg (relative to the module root)
// into dir with plain `go build` and returns the binary's path.
func buildCommand(tb testing.TB, pkg, dir string) string {
	tb.Helper()
	root := moduleRoot(tb)
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	tb.Logf("built %s in %.1fs", pkg, time.Since(start).Seconds())
	return out
}

func moduleRoot(tb testing.TB) string {
	tb.Helper()
	// go test runs in the package's folder: walk up to go.mod. (Asking
	// `go env GOMOD` fails while another go command rewrites go.mod.)
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// screenshotDir is $PASSKEYDESK_SCREENSHOT_DIR when set (kept after the
// run), else a temporary directory of the test.
func screenshotDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("PASSKEYDESK_SCREENSHOT_DIR")
	if dir == "" {
		return tb.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// xvfb is an X server of one test or benchmark, on a display it chose
// itself (-displayfd), so parallel runs never collide.
type xvfb struct {
	display string
	// configDir is XDG_CONFIG_HOME for programs on this display, so Fyne's
	// settings and preferences start empty and stay out of the user's.
	configDir string
}

func startXvfb(tb testing.TB) *xvfb {
	tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	var stderr lockedBuffer
	// -noreset: the server stays as it is when the last client leaves, so
	// one program's exit does not slow the next one's start.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-br", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		tb.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})

	type result struct {
		line string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		got <- result{line, err}
	}()
	select {
	case res := <-got:
		n, err := strconv.Atoi(strings.TrimSpace(res.line))
		if err != nil {
			tb.Fatalf("Xvfb did not report its display (%v, %v):\n%s", res.err, err, stderr.String())
		}
		return &xvfb{display: ":" + strconv.Itoa(n), configDir: tb.TempDir()}
	case <-time.After(15 * time.Second):
		tb.Fatalf("Xvfb did not report its display within 15s:\n%s", stderr.String())
	}
	return nil
}

// env is the environment of a program on this display.
func (x *xvfb) env() []string {
	env := append(os.Environ(),
		"DISPLAY="+x.display,
		"LANG=en_US.UTF-8",
		"XDG_CONFIG_HOME="+x.configDir,
	)
	if os.Getenv("PASSKEYDESK_TEST_KEYRING") != "1" {
		// No throwaway bus from .ci/with-session: give the program no bus
		// at all, rather than the user's session (whose keyring is not the
		// tests' to touch) or none, which makes go-keyring and Fyne
		// autolaunch a bus with dbus-launch that outlives the test.
		env = append(env, "DBUS_SESSION_BUS_ADDRESS=disabled:")
	}
	return env
}

// xtool runs an X command-line tool on this display.
func (x *xvfb) xtool(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = x.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// findWindow returns the id of a mapped window titled exactly title, or ""
// when there is none yet.
func (x *xvfb) findWindow(title string) string {
	out, err := x.xtool("xdotool", "search", "--onlyvisible", "--name", "^"+regexpQuote(title)+"$")
	if err != nil {
		return "" // xdotool exits 1 when nothing matches
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return id
}

func (x *xvfb) windowSize(win string) (w, h int, err error) {
	out, err := x.xtool("xdotool", "getwindowgeometry", "--shell", win)
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		switch k {
		case "WIDTH":
			w, _ = strconv.Atoi(v)
		case "HEIGHT":
			h, _ = strconv.Atoi(v)
		}
	}
	if w == 0 || h == 0 {
		return 0, 0, fmt.Errorf("xdotool getwindowgeometry %s: no size in %q", win, out)
	}
	return w, h, nil
}

// capture takes a picture of the window's contents with xwd.
func (x *xvfb) capture(win string) (*image.RGBA, error) {
	out, err := x.xtool("xwd", "-id", win, "-silent")
	if err != nil {
		return nil, err
	}
	return decodeXWD(out)
}

// xprocess is a program started on an xvfb display.
type xprocess struct {
	x       *xvfb
	cmd     *exec.Cmd
	started time.Time
	out     lockedBuffer
	done    chan struct{}
}

// launch starts bin on the display. The caller stops it (t.Cleanup).
func (x *xvfb) launch(tb testing.TB, bin string, args ...string) *xprocess {
	tb.Helper()
	p := &xprocess{x: x, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	// The app quits by itself after a while, should a failed run leave it.
	p.cmd.Env = append(x.env(), "PASSKEYDESK_TEST_EXIT_AFTER=3m")
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	return p
}

func (p *xprocess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *xprocess) output() string { return p.out.String() }

// stop ends the program (SIGTERM, then SIGKILL after 5 s) and waits for it.
func (p *xprocess) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// waitWindow polls every interval for the program's mapped window.
func (p *xprocess) waitWindow(title string, interval, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if win := p.x.findWindow(title); win != "" {
			return win, nil
		}
		if p.exited() {
			return "", fmt.Errorf("%s exited before showing a window titled %q", filepath.Base(p.cmd.Path), title)
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no window titled %q after %v", title, timeout)
		}
		time.Sleep(interval)
	}
}

// waitPainted polls every interval until the window shows a painted frame
// and returns how long after launch the capture that showed it finished.
func (p *xprocess) waitPainted(win string, interval, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	for {
		// A capture can fail while the window is being mapped; poll on.
		if img, err := p.x.capture(win); err == nil && painted(img) {
			return time.Since(p.started), nil
		}
		if p.exited() {
			return 0, fmt.Errorf("%s exited before painting its window", filepath.Base(p.cmd.Path))
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("window %s not painted after %v", win, timeout)
		}
		time.Sleep(interval)
	}
}

// memory is the program's resident memory from /proc/PID/status, in bytes:
// all of it (VmRSS), anonymous (heap, stacks, GL buffers) and file-backed
// (the mapped binary and libraries).
type memory struct{ rss, anon, file int64 }

func (p *xprocess) memory() (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return memory{}, err
	}
	var m memory
	fields := map[string]*int64{"VmRSS:": &m.rss, "RssAnon:": &m.anon, "RssFile:": &m.file}
	for _, line := range strings.Split(string(b), "\n") {
		key, rest, _ := strings.Cut(line, "\t")
		dst, ok := fields[key]
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("parsing %q: %w", line, err)
		}
		*dst = kb * 1024
		delete(fields, key)
	}
	if len(fields) > 0 {
		return memory{}, errors.New("/proc status lacks VmRSS, RssAnon or RssFile")
	}
	return m, nil
}

// painted reports whether a window capture shows a frame the program drew.
// Under Xvfb with -br an X window that GL has not drawn into yet is flat
// black; every Fyne theme paints a background that is not.
func painted(img *image.RGBA) bool {
	var nonBlack, total int
	for i := 0; i+3 < len(img.Pix); i += 4 {
		total++
		if img.Pix[i]|img.Pix[i+1]|img.Pix[i+2] != 0 {
			nonBlack++
		}
	}
	return total > 0 && nonBlack*2 > total
}

type stats struct {
	distinct      int
	dominantShare float64
}

func colourStats(img *image.RGBA) stats {
	counts := map[[3]uint8]int{}
	total := 0
	for i := 0; i+3 < len(img.Pix); i += 4 {
		counts[[3]uint8{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}]++
		total++
	}
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	if total == 0 {
		return stats{}
	}
	return stats{distinct: len(counts), dominantShare: float64(top) / float64(total)}
}

// decodeXWD decodes the X Window Dump format xwd writes: a big-endian
// header of 25 32-bit fields and the window name, a colour map, then the
// pixels. It handles the TrueColor ZPixmap dumps of 24- and 32-bit visuals,
// which is what Xvfb's 24-bit screen gives.
func decodeXWD(data []byte) (*image.RGBA, error) {
	const fields = 25
	if len(data) < fields*4 {
		return nil, fmt.Errorf("xwd: %d bytes, shorter than a header", len(data))
	}
	h := func(i int) int { return int(binary.BigEndian.Uint32(data[4*i:])) }
	var (
		headerSize  = h(0)
		version     = h(1)
		format      = h(2)
		width       = h(4)
		height      = h(5)
		byteOrder   = h(7)
		bitsPerPix  = h(11)
		bytesPerRow = h(12)
		masks       = [3]uint32{uint32(h(14)), uint32(h(15)), uint32(h(16))}
		ncolors     = h(19)
	)
	switch {
	case version != 7:
		return nil, fmt.Errorf("xwd: file version %d, want 7", version)
	case format != 2:
		return nil, fmt.Errorf("xwd: pixmap format %d, want ZPixmap (2)", format)
	case bitsPerPix != 24 && bitsPerPix != 32:
		return nil, fmt.Errorf("xwd: %d bits per pixel, want 24 or 32", bitsPerPix)
	case width <= 0 || height <= 0 || width > 1<<15 || height > 1<<15:
		return nil, fmt.Errorf("xwd: size %dx%d", width, height)
	case bytesPerRow < width*bitsPerPix/8:
		return nil, fmt.Errorf("xwd: %d bytes per row for %d pixels", bytesPerRow, width)
	}
	offset := headerSize + ncolors*12 // XWDColor: pixel, r, g, b, flags, pad
	if offset < fields*4 || offset+bytesPerRow*height > len(data) {
		return nil, fmt.Errorf("xwd: %d bytes, want %d", len(data), offset+bytesPerRow*height)
	}

	bpp := bitsPerPix / 8
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		row := data[offset+y*bytesPerRow:]
		for x := range width {
			px := row[x*bpp : x*bpp+bpp]
			var v uint32
			for i := range bpp {
				if byteOrder == 0 { // LSBFirst
					v |= uint32(px[i]) << (8 * i)
				} else {
					v = v<<8 | uint32(px[i])
				}
			}
			o := y*img.Stride + 4*x
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = channel(v, masks[0]), channel(v, masks[1]), channel(v, masks[2]), 0xff
		}
	}
	return img, nil
}

// channel extracts the colour channel under mask and scales it to 8 bits.
func channel(v, mask uint32) uint8 {
	if mask == 0 {
		return 0
	}
	c := (v & mask) >> bits.TrailingZeros32(mask)
	switch n := bits.OnesCount32(mask); {
	case n > 8:
		c >>= n - 8
	case n < 8:
		c = c * 255 / (1<<n - 1)
	}
	return uint8(c)
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return f.Close()
}

// regexpQuote quotes the characters xdotool's POSIX extended regular
// expressions treat specially.
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\.+*?()|[]{}^$`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lockedBuffer collects a child's output, which exec copies in its own
// goroutine, safely for a reader in the test's.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestDecodeXWD(t *testing.T) {
	// dump builds an XWD file of a 2×1 TrueColor image with pixels red, blue.
	dump := func(bitsPerPixel, byteOrder int, truncate int) []byte {
		const name = "w\x00"
		header := make([]uint32, 25)
		header[0] = uint32(100 + len(name))
		header[1] = 7               // version
		header[2] = 2               // ZPixmap
		header[3] = 24              // depth
		header[4], header[5] = 2, 1 // size
		header[7] = uint32(byteOrder)
		header[11] = uint32(bitsPerPixel)
		header[12] = uint32(2 * bitsPerPixel / 8)
		header[14], header[15], header[16] = 0xff0000, 0x00ff00, 0x0000ff
		var b bytes.Buffer
		for _, v := range header {
			_ = binary.Write(&b, binary.BigEndian, v)
		}
		b.WriteString(name)
		for _, px := range []uint32{0xff0000, 0x0000ff} {
			p := make([]byte, 4)
			if byteOrder == 0 {
				binary.LittleEndian.PutUint32(p, px)
				b.Write(p[:bitsPerPixel/8])
			} else {
				binary.BigEndian.PutUint32(p, px)
				b.Write(p[4-bitsPerPixel/8:])
			}
		}
		return b.Bytes()[:b.Len()-truncate]
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr bool
	}{
		{"32 bpp LSB first", dump(32, 0, 0), false},
		{"32 bpp MSB first", dump(32, 1, 0), false},
		{"24 bpp LSB first", dump(24, 0, 0), false},
		{"truncated pixels", dump(32, 0, 1), true},
		{"truncated header", dump(32, 0, 0)[:50], true},
		{"16 bpp", dump(16, 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := decodeXWD(tt.data)
			if tt.wantErr {
				if err == nil {
					t.Fatal("decoded; want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := img.Bounds().Size(); got != image.Pt(2, 1) {
				t.Fatalf("size %v, want 2x1", got)
			}
			if got := img.RGBAAt(0, 0); got != (color.RGBA{0xff, 0, 0, 0xff}) {
				t.Errorf("pixel 0 = %v, want red", got)
			}
			if got := img.RGBAAt(1, 0); got != (color.RGBA{0, 0, 0xff, 0xff}) {
				t.Errorf("pixel 1 = %v, want blue", got)
			}
		})
	}
}
