package ui

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// tabTo moves the keyboard focus with Tab, as a person does, until it is
// on the visible button labelled text.
func (h *harness) tabTo(text string) *button {
	h.t.Helper()
	b := h.button(text)
	for range 50 {
		if h.canvas().Focused() == b {
			return b
		}
		h.canvas().FocusNext()
	}
	h.t.Fatalf("Tab never reaches %q", text)
	return nil
}

// Enter presses the focused button, as Space does: Return from the
// main keyboard and Enter from the keypad, on buttons reached with Tab.
func TestEnterPressesFocusedButton(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	if h.app.signUpScreen == nil {
		t.Fatalf("the app did not open on first run; it shows:\n%s", h.text())
	}
	h.tabTo("I already have an account: sign in")
	h.press(fyne.KeyReturn)
	if h.app.signInScreen == nil {
		t.Fatalf("Return on the focused button did not press it; the window shows:\n%s", h.text())
	}
	h.tabTo("Create an account")
	h.press(fyne.KeyEnter)
	if h.app.signUpScreen == nil {
		t.Fatalf("the keypad's Enter on the focused button did not press it; the window shows:\n%s", h.text())
	}
	h.tabTo("I already have an account: sign in")
	h.press(fyne.KeySpace)
	if h.app.signInScreen == nil {
		t.Fatalf("Space no longer presses the focused button; the window shows:\n%s", h.text())
	}
}

// A disabled button is not pressed by Enter.
func TestEnterSkipsDisabledButton(t *testing.T) {
	test.NewTempApp(t)
	pressed := 0
	b := newButton("Save", func() { pressed++ })
	w := test.NewTempWindow(t, b)
	w.Canvas().Focus(b)
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	b.Disable()
	b.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if pressed != 1 {
		t.Fatalf("pressed %d times; want once, before it was disabled", pressed)
	}
}

// Every button of the package is made with newButton or
// newButtonWithIcon, so Enter presses it: no widget.Button is made any
// other way.
func TestEveryButtonIsPressedByEnter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var checked int
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "button.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "widget" && strings.HasPrefix(sel.Sel.Name, "NewButton") {
				t.Errorf("%s: widget.%s makes a button Enter does not press; use newButton or newButtonWithIcon", fset.Position(n.Pos()), sel.Sel.Name)
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "widget" && sel.Sel.Name == "Button" {
				t.Errorf("%s: widget.Button is not the app's button (Enter does not press it); use *button", fset.Position(n.Pos()))
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("checked only %d files", checked)
	}
}
