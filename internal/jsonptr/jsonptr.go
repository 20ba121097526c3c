// Package jsonptr resolves RFC 6901 JSON Pointers on raw JSON bytes, without
// decoding the document: Find returns the bytes of the value a pointer
// reaches, skipping everything else without allocating, so that a caller
// decodes only that value. The runner uses it for `$response.body#/a/0/b`:
// a poll step reads two fields of a response many times a second, and
// decoding every response whole into generic values was most of the
// engine's allocations (docs/performance.md).
//
// Find must agree with "decode the whole document, then walk the pointer",
// which in this module means github.com/ohler55/ojg/oj.Parse followed by
// the expression package's walk. Valid guards that agreement: it accepts
// only documents on which the two cannot differ, and a caller sends every
// other document down the full decoding path.
package jsonptr

import (
	"bytes"
	"math"
	"unicode/utf8"
)

// maxDepth bounds the nesting Valid accepts (the value encoding/json
// uses); deeper documents are left to the full decoder, so that the
// recursive scanner's stack stays small.
const maxDepth = 10000

// Valid reports whether data is a JSON text (RFC 8259: one value, with
// optional white space around it) that Find resolves exactly as a full
// decode would. It is stricter than RFC 8259 in three places, each a
// document that full decoders treat differently from one another, so that
// no lazy answer is ever given for it:
//
//   - a number whose integer part is 0 followed directly by an exponent
//     (0e5, -0E+1): valid JSON, but ojg rejects it;
//   - a \u escape of a UTF-16 surrogate (\ud83d) in an object key: ojg
//     decodes each half to U+FFFD, encoding/json joins pairs, so which key
//     a pointer token matches depends on the decoder;
//   - nesting deeper than 10,000 arrays and objects.
//
// A byte order mark is not white space: such documents are not Valid
// either. Bytes that are not UTF-8 inside strings are accepted (ojg and
// encoding/json accept them too); Find compares member names byte for
// byte, as ojg keeps them. Valid does not allocate.
func Valid(data []byte) bool {
	valid, _ := Check(data)
	return valid
}

// maxNames bounds the member names per object that Check compares to
// find duplicates; a larger object makes unique false.
const maxNames = 16

// Check is Valid, and also reports whether no object in data has a member
// name twice, which lets FindFirst stop at the first match instead of
// reading every member. unique errs on the side of false: it is false
// when an object has more than 16 members or a name with an escape,
// which only costs FindFirst's shortcut.
func Check(data []byte) (valid, unique bool) {
	c := checker{unique: len(data) <= math.MaxInt32}
	i, ok := c.value(data, space(data, 0), 0)
	valid = ok && space(data, i) == len(data)
	return valid, valid && c.unique
}

// checker carries what Check learns while it reads the document.
type checker struct {
	unique bool // no duplicate member names seen (see Check)
}

// Find returns the raw bytes of the value that the decoded pointer tokens
// toks reach in data, and ok = false when they reach nothing: a missing
// member, an array index out of range, or a token that is not an array
// index applied to an array. Array indexes are RFC 6901's: "0" or digits
// without a leading zero, at most 9 of them (the expression package's
// rule). When an object has a member name more than once, the last one
// counts, as when the object is decoded into a map.
//
// When a scalar (string, number, true, false, null) is reached before the
// tokens run out, Find returns it with the tokens not yet applied in rest;
// the caller decides what a pointer into a scalar means (the expression
// package decodes a string that holds JSON text). Otherwise rest is nil.
//
// data must be Valid: Find skips the values it passes over without
// checking them (that is what makes it cheap), so on other input it does
// not panic but may return anything. The returned slice aliases data.
// Find does not allocate.
func Find(data []byte, toks []string) (raw []byte, rest []string, ok bool) {
	return find(data, toks, false)
}

// FindFirst is Find for a document Check found valid and unique: an object
// has each name at most once, so the first member of a name is the one,
// and the rest of the object is not read.
func FindFirst(data []byte, toks []string) (raw []byte, rest []string, ok bool) {
	return find(data, toks, true)
}

func find(data []byte, toks []string, first bool) (raw []byte, rest []string, ok bool) {
	i := space(data, 0)
	for n, tok := range toks {
		if i >= len(data) {
			return nil, nil, false
		}
		switch data[i] {
		case '{':
			i, ok = member(data, i, tok, first)
		case '[':
			i, ok = element(data, i, tok)
		default:
			end, ok := skip(data, i)
			if !ok {
				return nil, nil, false
			}
			return data[i:end], toks[n:], true
		}
		if !ok {
			return nil, nil, false
		}
	}
	end, ok := skip(data, i)
	if !ok {
		return nil, nil, false
	}
	return data[i:end], nil, true
}

// member returns the start of the value of the last member of the object
// at data[i] (which is '{') named tok. Every member is read, since a later
// one of the same name wins, unless first says that names are unique.
func member(data []byte, i int, tok string, first bool) (int, bool) {
	found := -1
	i = space(data, i+1)
	if i < len(data) && data[i] == '}' {
		return 0, false
	}
	for {
		end, eq, ok := keyIs(data, i, tok)
		if !ok {
			return 0, false
		}
		i = space(data, end)
		if i >= len(data) || data[i] != ':' {
			return 0, false
		}
		i = space(data, i+1)
		if eq {
			if first {
				return i, true
			}
			found = i
		}
		if i, ok = skip(data, i); !ok {
			return 0, false
		}
		i = space(data, i)
		if i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i = space(data, i+1)
		case '}':
			return found, found >= 0
		default:
			return 0, false
		}
	}
}

// element returns the start of the element of the array at data[i]
// (which is '[') at the index tok names.
func element(data []byte, i int, tok string) (int, bool) {
	n := index(tok)
	if n < 0 {
		return 0, false
	}
	i = space(data, i+1)
	if i < len(data) && data[i] == ']' {
		return 0, false
	}
	for k := 0; ; k++ {
		if k == n {
			return i, i < len(data)
		}
		var ok bool
		if i, ok = skip(data, i); !ok {
			return 0, false
		}
		i = space(data, i)
		if i >= len(data) || data[i] != ',' {
			// ']' (the array is shorter) or malformed.
			return 0, false
		}
		i = space(data, i+1)
	}
}

// keyIs returns the index after the member name starting at data[i] and
// whether it equals tok once unescaped.
func keyIs(data []byte, i int, tok string) (end int, eq, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false, false
	}
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '"':
			// No escapes: the name is its bytes.
			return j + 1, string(data[i+1:j]) == tok, true
		case '\\':
			end, eq, _, ok = str(data, i, true, tok)
			return end, eq, ok
		}
	}
	return 0, false, false
}

// skip returns the index just after the value starting at data[i], which
// must be valid JSON: only strings and brackets are tracked.
func skip(data []byte, i int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				var ok bool
				if i, ok = skipString(data, i); !ok {
					return 0, false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	// A number or literal: up to the next delimiter.
	j := i
	for j < len(data) {
		switch data[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j, j > i
		}
		j++
	}
	return j, j > i
}

// skipString returns the index after the string starting at data[i]
// (which is '"').
func skipString(data []byte, i int) (int, bool) {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '"':
			return i + 1, true
		case '\\':
			i++
		}
	}
	return 0, false
}

// index is the array index a token names, or -1: "0" or digits without a
// leading zero, at most 9.
func index(tok string) int {
	if tok == "" || len(tok) > 9 || (len(tok) > 1 && tok[0] == '0') {
		return -1
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// space returns the index of the first byte at or after i that is not JSON
// white space.
func space(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// value checks the JSON value starting at data[i] and returns the index
// just after it. depth is the number of enclosing arrays and objects.
func (c *checker) value(data []byte, i, depth int) (int, bool) {
	if i >= len(data) {
		return 0, false
	}
	switch b := data[i]; {
	case b == '{':
		return c.object(data, i, depth+1)
	case b == '[':
		return c.array(data, i, depth+1)
	case b == '"':
		end, _, _, ok := str(data, i, false, "")
		return end, ok
	case b == '-' || b >= '0' && b <= '9':
		return number(data, i)
	case b == 't':
		return literal(data, i, "true")
	case b == 'f':
		return literal(data, i, "false")
	case b == 'n':
		return literal(data, i, "null")
	}
	return 0, false
}

// object checks the object starting at data[i] (which is '{', at nesting
// depth depth) and returns the index after it.
func (c *checker) object(data []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	i = space(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, true
	}
	// The names read so far (start and end in data, without quotes), to
	// find a duplicate while c.unique holds.
	var names [maxNames][2]int32
	n := 0
	for {
		end, escaped, ok := key(data, i)
		if !ok {
			return 0, false
		}
		if c.unique {
			if escaped || n == maxNames || seen(data, names[:n], data[i+1:end-1]) {
				c.unique = false
			} else {
				names[n] = [2]int32{int32(i + 1), int32(end - 1)}
				n++
			}
		}
		i = space(data, end)
		if i >= len(data) || data[i] != ':' {
			return 0, false
		}
		if i, ok = c.value(data, space(data, i+1), depth); !ok {
			return 0, false
		}
		i = space(data, i)
		if i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i = space(data, i+1)
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// array checks the array starting at data[i] (which is '[', at nesting
// depth depth) and returns the index after it.
func (c *checker) array(data []byte, i, depth int) (int, bool) {
	if depth > maxDepth {
		return 0, false
	}
	i = space(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = c.value(data, i, depth); !ok {
			return 0, false
		}
		i = space(data, i)
		if i >= len(data) {
			return 0, false
		}
		switch data[i] {
		case ',':
			i = space(data, i+1)
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// seen reports whether name is one of the names at spans in data.
func seen(data []byte, spans [][2]int32, name []byte) bool {
	for _, sp := range spans {
		if bytes.Equal(data[sp[0]:sp[1]], name) {
			return true
		}
	}
	return false
}

// key checks the member name starting at data[i] and returns the index
// after it and whether it has escapes. Surrogate escapes are refused (see
// Valid).
func key(data []byte, i int) (end int, escaped, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return 0, false, false
	}
	end, _, escaped, ok = str(data, i, true, "")
	return end, escaped, ok
}

// str checks the string starting at data[i] (which is '"') and returns the
// index after its closing quote, whether the string, unescaped, equals tok
// (compared as it is read, without allocating) and whether it has escapes.
// isKey refuses surrogate escapes (see Valid).
func str(data []byte, i int, isKey bool, tok string) (end int, eq, escaped, ok bool) {
	j := 0 // bytes of tok matched so far
	eq = true
	var buf [utf8.UTFMax]byte
	for i++; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, eq && j == len(tok), escaped, true
		case c < 0x20:
			// Control characters must be escaped.
			return 0, false, false, false
		case c != '\\':
			// Once eq is false, j no longer matters.
			if eq {
				eq = j < len(tok) && tok[j] == c
				j++
			}
			i++
			continue
		}
		// An escape.
		escaped = true
		if i+1 >= len(data) {
			return 0, false, false, false
		}
		var b []byte
		switch data[i+1] {
		case '"', '\\', '/':
			buf[0] = data[i+1]
			b = buf[:1]
		case 'b':
			buf[0] = '\b'
			b = buf[:1]
		case 'f':
			buf[0] = '\f'
			b = buf[:1]
		case 'n':
			buf[0] = '\n'
			b = buf[:1]
		case 'r':
			buf[0] = '\r'
			b = buf[:1]
		case 't':
			buf[0] = '\t'
			b = buf[:1]
		case 'u':
			r, ok := hex4(data, i+2)
			if !ok || isKey && r >= 0xD800 && r <= 0xDFFF {
				return 0, false, false, false
			}
			b = buf[:utf8.EncodeRune(buf[:], r)]
			i += 4
		default:
			return 0, false, false, false
		}
		i += 2
		if eq {
			eq = j+len(b) <= len(tok) && tok[j:j+len(b)] == string(b)
			j += len(b)
		}
	}
	return 0, false, false, false
}

// hex4 decodes the four hexadecimal digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number checks the number starting at data[i] (RFC 8259: -? int frac?
// exp?) and returns the index after it; an integer part 0 followed
// directly by an exponent is refused (see Valid).
func number(data []byte, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
		if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
			return 0, false
		}
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(data, i)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

// digits returns the index of the first byte at or after i that is not a
// decimal digit.
func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// literal checks that lit (true, false, null) starts at data[i].
func literal(data []byte, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}
