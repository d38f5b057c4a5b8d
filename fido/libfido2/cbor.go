package libfido2

import (
	"errors"
	"math"
)

// Just enough CBOR (RFC 8949) to read what libfido2 1.12 hands over
// encoded: an assertion's authenticator data (a byte string) and an
// attestation statement (a map whose "alg" the binding reports).

var errCBOR = errors.New("libfido2: malformed CBOR from libfido2")

// cborHead reads an item's head: major type, argument, and the rest.
func cborHead(b []byte) (major byte, arg uint64, rest []byte, err error) {
	if len(b) < 1 {
		return 0, 0, nil, errCBOR
	}
	major, info := b[0]>>5, b[0]&0x1f
	b = b[1:]
	switch {
	case info < 24:
		return major, uint64(info), b, nil
	case info <= 27:
		n := 1 << (info - 24)
		if len(b) < n {
			return 0, 0, nil, errCBOR
		}
		for _, c := range b[:n] {
			arg = arg<<8 | uint64(c)
		}
		return major, arg, b[n:], nil
	}
	return 0, 0, nil, errCBOR // indefinite lengths and reserved values
}

// cborBytes decodes one definite-length byte string.
func cborBytes(b []byte) ([]byte, error) {
	major, n, rest, err := cborHead(b)
	if err != nil || major != 2 || uint64(len(rest)) < n {
		return nil, errCBOR
	}
	return rest[:n], nil
}

// cborSkip skips one item, at most depth levels deep.
func cborSkip(b []byte, depth int) ([]byte, error) {
	if depth == 0 {
		return nil, errCBOR
	}
	major, arg, rest, err := cborHead(b)
	if err != nil {
		return nil, err
	}
	switch major {
	case 0, 1, 7:
		return rest, nil
	case 2, 3:
		if uint64(len(rest)) < arg {
			return nil, errCBOR
		}
		return rest[arg:], nil
	case 4, 5:
		if arg > uint64(len(rest)) {
			return nil, errCBOR
		}
		items := arg
		if major == 5 {
			items *= 2
		}
		for i := uint64(0); i < items; i++ {
			if rest, err = cborSkip(rest, depth-1); err != nil {
				return nil, err
			}
		}
		return rest, nil
	default: // 6, a tag
		return cborSkip(rest, depth-1)
	}
}

// attStmtAlg reads "alg" from an attestation statement map (WebAuthn
// §8.2); ok is false when it has none.
func attStmtAlg(stmt []byte) (alg int, ok bool, err error) {
	major, n, rest, err := cborHead(stmt)
	if err != nil || major != 5 || n > uint64(len(rest)) {
		return 0, false, errCBOR
	}
	for i := uint64(0); i < n; i++ {
		km, kn, r, err := cborHead(rest)
		if err != nil {
			return 0, false, err
		}
		if km == 3 && kn == 3 && uint64(len(r)) >= kn && string(r[:kn]) == "alg" {
			vm, v, _, err := cborHead(r[kn:])
			if err != nil || v > math.MaxInt32 {
				return 0, false, errCBOR
			}
			switch vm {
			case 0:
				return int(v), true, nil
			case 1:
				return -1 - int(v), true, nil
			}
			return 0, false, errCBOR
		}
		if rest, err = cborSkip(rest, 8); err != nil {
			return 0, false, err
		}
		if rest, err = cborSkip(rest, 8); err != nil {
			return 0, false, err
		}
	}
	return 0, false, nil
}
