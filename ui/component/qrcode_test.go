package component

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

func TestQRCodeRendersItsContent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		content string
		side    float32
	}{
		{"otpauth at minimum size", "otpauth://totp/Passkey%20Desk:ada@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Passkey%20Desk", qrMinSide},
		{"enrollment URL, large", "https://desk.example.com/enroll#t=" + strings.Repeat("x", 43), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			test.NewTempApp(t)
			q, err := NewQRCode(tc.content)
			if err != nil {
				t.Fatal(err)
			}
			if q.Content() != tc.content {
				t.Errorf("Content() = %q", q.Content())
			}
			if min := q.MinSize(); min.Width < qrMinSide || min.Height < qrMinSide {
				t.Errorf("MinSize %v is below %d", min, qrMinSide)
			}
			w := test.NewTempWindow(t, q)
			w.SetPadded(false)
			w.Resize(fyne.NewSquareSize(tc.side))
			bmp, err := gozxing.NewBinaryBitmapFromImage(w.Canvas().Capture())
			if err != nil {
				t.Fatal(err)
			}
			res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
			if err != nil {
				t.Fatalf("decoding the rendered code: %v", err)
			}
			if res.GetText() != tc.content {
				t.Errorf("decoded %q; want %q", res.GetText(), tc.content)
			}
		})
	}
}

func TestQRCodeRefusesTooMuch(t *testing.T) {
	if _, err := NewQRCode(strings.Repeat("x", 5000)); err == nil {
		t.Error("5000 bytes made a QR code; want an error (the most a code holds is 2953 bytes)")
	}
}
