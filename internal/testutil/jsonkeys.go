package testutil

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// CheckJSONObject reports why line is not exactly one JSON object whose
// objects, nested ones included, each hold every key once: encoding/json
// keeps the last of two equal keys without a word, so this walks the
// tokens instead.
func CheckJSONObject(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("starts with %v, not an object", tok)
	}
	if err := checkObject(dec, "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("trailing data after the object (%v)", err)
	}
	return nil
}

// checkObject reads an object's members up to its closing brace (the
// opening one is read).
func checkObject(dec *json.Decoder, at string) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("%s: key %v is not a string", at, tok)
		}
		if seen[key] {
			return fmt.Errorf("%s: key %q appears twice", at, key)
		}
		seen[key] = true
		if err := checkValue(dec, at+"."+key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

func checkValue(dec *json.Decoder, at string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return checkObject(dec, at)
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	return nil
}
