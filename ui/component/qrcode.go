package component

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
	"github.com/skip2/go-qrcode"
)

// qrMinSide is the smallest side, in Fyne units, a QR code is drawn at: big
// enough for a phone camera to read from across a desk.
const qrMinSide = 220

// QRCode shows a text as a QR code. The code is made once, one image pixel
// per module, and drawn with canvas.ImageScalePixels so it stays sharp at
// any size and screen scale. It keeps a light quiet zone in dark themes too,
// because cameras read dark modules on a light ground.
type QRCode struct {
	widget.BaseWidget

	content string
	img     image.Image
}

// NewQRCode encodes content at the medium error-correction level (about 15%
// of the code may be damaged or hidden).
func NewQRCode(content string) (*QRCode, error) {
	code, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	q := &QRCode{content: content, img: code.Image(-1)}
	q.ExtendBaseWidget(q)
	return q, nil
}

// Content returns the encoded text.
func (q *QRCode) Content() string { return q.content }

// CreateRenderer implements fyne.Widget.
func (q *QRCode) CreateRenderer() fyne.WidgetRenderer {
	img := canvas.NewImageFromImage(q.img)
	img.ScaleMode = canvas.ImageScalePixels
	img.FillMode = canvas.ImageFillContain
	return &qrRenderer{img: img}
}

type qrRenderer struct {
	img *canvas.Image
}

func (r *qrRenderer) Layout(size fyne.Size) {
	side := fyne.Min(size.Width, size.Height)
	r.img.Resize(fyne.NewSquareSize(side))
	r.img.Move(fyne.NewPos((size.Width-side)/2, (size.Height-side)/2))
}

func (r *qrRenderer) MinSize() fyne.Size { return fyne.NewSquareSize(qrMinSide) }

func (r *qrRenderer) Refresh() { r.img.Refresh() }

func (r *qrRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.img} }

func (r *qrRenderer) Destroy() {}
