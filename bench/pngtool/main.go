// Command pngtool is bench/render.sh's image step, so that the script
// needs no image program: "trim OUT IN" crops IN's white rows at the
// bottom (a browser screenshot is taller than its page), "stack OUT
// IN..." puts images one above the other with a grey gap.
package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
)

func main() {
	if len(os.Args) < 4 || (os.Args[1] != "trim" && os.Args[1] != "stack") {
		fmt.Fprintln(os.Stderr, "usage: pngtool trim OUT IN | pngtool stack OUT IN...")
		os.Exit(2)
	}
	var ims []image.Image
	for _, p := range os.Args[3:] {
		im, err := load(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		ims = append(ims, im)
	}
	out := stack(ims)
	if os.Args[1] == "trim" {
		out = trim(ims[0])
	}
	if err := save(os.Args[2], out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func load(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return im, nil
}

func save(path string, im image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, im); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// trim drops the rows at the bottom that are white, keeping a margin.
func trim(im image.Image) image.Image {
	b := im.Bounds()
	last := b.Min.Y
	for y := b.Max.Y - 1; y >= b.Min.Y && last == b.Min.Y; y-- {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := im.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				last = y
				break
			}
		}
	}
	h := min(last+24, b.Max.Y)
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), h-b.Min.Y))
	draw.Draw(out, out.Bounds(), im, b.Min, draw.Src)
	return out
}

// stack puts ims one above the other, 8 grey pixels apart.
func stack(ims []image.Image) image.Image {
	const gap = 8
	w, h := 0, 0
	for _, im := range ims {
		w = max(w, im.Bounds().Dx())
		h += im.Bounds().Dy() + gap
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h-gap))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.Gray{Y: 0x99}}, image.Point{}, draw.Src)
	y := 0
	for _, im := range ims {
		r := image.Rect(0, y, im.Bounds().Dx(), y+im.Bounds().Dy())
		draw.Draw(out, r, im, im.Bounds().Min, draw.Src)
		y += im.Bounds().Dy() + gap
	}
	return out
}
