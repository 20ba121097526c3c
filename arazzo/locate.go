package arazzo

import "strings"

// posIndex maps the JSON Pointer of every value in a parsed document to the
// position of that value (for an object member: of its key).
type posIndex struct {
	byPointer map[string]Pos
}

// Locate returns the position of the value at the JSON Pointer ptr
// ("/workflows/0/steps/1"). When ptr itself is not indexed, the nearest
// indexed ancestor is used, so a diagnostic always has a useful location.
func (d *Document) Locate(ptr string) Pos {
	if d == nil || d.index == nil {
		return Pos{}
	}
	for {
		if p, ok := d.index.byPointer[ptr]; ok {
			return p
		}
		i := strings.LastIndexByte(ptr, '/')
		if i < 0 {
			return d.Pos
		}
		ptr = ptr[:i]
	}
}
