package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzPageCalls sends arbitrary bodies to every page endpoint. Whatever the
// bytes, the answer is a 2xx or a 4xx with a JSON reason, never a 5xx or
// a panic. The seeds are the bodies of TestPageCallsRefuse and of a whole
// valid enrollment.
func FuzzPageCalls(f *testing.F) {
	fx := newFixture(f)
	paths := []string{"open", "wait", "options", "result"}
	for i, body := range []string{
		fx.body(device1, ""),
		fx.body(device1, `,"state":"waiting"`), // after the open above: answers at once
		fx.body(device1, `,"state":"x"`),
		fx.body(device1, `,"code":"12a"`),
		fx.body(device1, `,"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{}}`),
		fx.body(device1, `,"credential":"x"`),
		fx.body(device1, `,"admin":true`),
		`{"device":"` + device1 + `"}`,
		`{"link":"../../etc","device":"` + device1 + `"}`,
		`{"link":null,"device":[]}`,
		`{}{}`,
		`[]`,
		`null`,
		"link=x",
		"",
	} {
		f.Add(uint8(i), body)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		w := fx.call(path, body)
		if w.Code >= 500 {
			t.Fatalf("%s %q: status %d %s", path, body, w.Code, w.Body)
		}
		if w.Code != 200 {
			var e struct{ Error, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Message == "" {
				t.Fatalf("%s %q: status %d without a JSON reason: %s", path, body, w.Code, w.Body)
			}
			if strings.Contains(e.Message, "ann@") {
				t.Fatalf("%s: the reason shows the email: %s", path, e.Message)
			}
		}
	})
}

// FuzzDesktopConfirm sends arbitrary bodies to the desktop's confirm
// call, on an enrollment a phone has opened: never a 5xx.
func FuzzDesktopConfirm(f *testing.F) {
	fx := newFixture(f)
	if w := fx.call("open", fx.body(device1, "")); w.Code != 200 {
		f.Fatalf("open: %d %s", w.Code, w.Body)
	}
	for _, body := range []string{`{"code":"123456"}`, `{"code":"123 456"}`, `{"code":"123-456"}`, `{"code":"12a"}`, `{"code":5}`,
		`{"code":"` + strings.Repeat("-", 1000) + `1"}`, `{`, ``} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := fx.desktopCall("POST", "/api/enrollments/"+fx.enr.ID+"/confirm", fx.u.Session.Token, body)
		if w.Code >= 500 {
			t.Fatalf("%q: status %d %s", body, w.Code, w.Body)
		}
	})
}

// FuzzDesktopBegin sends arbitrary bodies to the desktop's begin call.
func FuzzDesktopBegin(f *testing.F) {
	fx := newFixture(f)
	for _, body := range []string{`{"grant":"x"}`, `{"grant":5}`, `{"grant":"x","y":1}`, `{`, ``, strings.Repeat(" ", 70000)} {
		f.Add(body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		w := fx.desktopCall("POST", "/api/enrollments", fx.u.Session.Token, body)
		if w.Code >= 500 {
			t.Fatalf("%q: status %d %s", body, w.Code, w.Body)
		}
	})
}
