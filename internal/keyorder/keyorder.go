// Package keyorder remembers the order in which an object's members were
// written.
//
// Decoded JSON and YAML objects are Go maps, and Go maps have no order. Most
// of the time that does not matter, but a few places send an object's
// members in sequence and users expect the sequence they wrote: the
// OpenAPI parameter styles (`color=R,100,G,200,B,150`), form and multipart
// bodies (some services want the file part last), JSON and XML bodies. The
// decoders record each object's member order in a Table, keyed by the
// map's identity; the serializers look it up and fall back to sorted names
// for maps nobody recorded (built in Go, or decoded from a response).
package keyorder

import (
	"reflect"
	"slices"
	"unsafe"
)

// Lookup returns the recorded member order of m, or nil when unknown. The
// result may name members m no longer has, and miss members added later;
// Members reconciles both.
type Lookup func(m map[string]any) []string

// Table records member orders. The zero value is ready to use. A Table
// holds the maps it records, so an address is never reused for another map
// while the Table is alive. Record must not run concurrently with Keys;
// tables are filled when a value is decoded or built, then only read.
type Table struct {
	keys map[unsafe.Pointer][]string
}

// identity is the address of m's runtime header: the same for every copy
// of the map value, distinct between live maps.
func identity(m map[string]any) unsafe.Pointer { return reflect.ValueOf(m).UnsafePointer() }

// Record remembers keys as the member order of m. Maps of fewer than two
// members have nothing to order and are not recorded. keys must be
// distinct; it is kept, not copied.
func (t *Table) Record(m map[string]any, keys []string) {
	if len(m) < 2 || len(keys) < 2 {
		return
	}
	if t.keys == nil {
		t.keys = make(map[unsafe.Pointer][]string)
	}
	t.keys[identity(m)] = keys
}

// Keys is t's Lookup.
func (t *Table) Keys(m map[string]any) []string {
	if t == nil || t.keys == nil || len(m) < 2 {
		return nil
	}
	return t.keys[identity(m)]
}

// Reset forgets every record, keeping the storage.
func (t *Table) Reset() { clear(t.keys) }

// Len is the number of recorded maps.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.keys)
}

// Chain returns a Lookup that asks each non-nil lookup in turn.
func Chain(lookups ...Lookup) Lookup {
	var ls []Lookup
	for _, l := range lookups {
		if l != nil {
			ls = append(ls, l)
		}
	}
	switch len(ls) {
	case 0:
		return nil
	case 1:
		return ls[0]
	}
	return func(m map[string]any) []string {
		for _, l := range ls {
			if k := l(m); k != nil {
				return k
			}
		}
		return nil
	}
}

// Members returns the names of m's members: in the order lookup recorded,
// then members it did not record in sorted order. Recorded names m no
// longer has are skipped. With a nil lookup, or nothing recorded, the names
// are sorted.
func Members(m map[string]any, lookup Lookup) []string {
	return AppendMembers(nil, m, lookup)
}

// AppendMembers is Members appending to buf, so that a caller with a small
// array on its stack sorts small objects without allocating. When lookup
// recorded exactly m's members it returns that record itself, which must
// not be modified.
func AppendMembers(buf []string, m map[string]any, lookup Lookup) []string {
	var rec []string
	if lookup != nil && len(m) > 1 {
		rec = lookup(m)
	}
	if len(rec) == len(m) && hasAll(m, rec) {
		return rec
	}
	out := buf[:0]
	var seen map[string]bool
	if len(rec) > 0 {
		seen = make(map[string]bool, len(rec))
		for _, k := range rec {
			if _, ok := m[k]; ok && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	known := len(out)
	for k := range m {
		if !seen[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out[known:])
	return out
}

func hasAll(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}
