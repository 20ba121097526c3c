package arazzo

import (
	"sort"
	"strconv"
	"strings"
)

// InputProperty is one top-level input a workflow's inputs schema declares.
type InputProperty struct {
	Name string
	// Schema is the property's schema with local $refs resolved (nil when
	// its reference does not resolve).
	Schema   map[string]any
	Required bool
	// Pos is where the property is declared.
	Pos Pos
}

// Sensitive reports whether the schema marks the input secret: `format:
// password`, `writeOnly: true` or `x-sensitive: true`.
func (p InputProperty) Sensitive() bool {
	if f, _ := p.Schema["format"].(string); f == "password" {
		return true
	}
	if b, _ := p.Schema["writeOnly"].(bool); b {
		return true
	}
	b, _ := p.Schema["x-sensitive"].(bool)
	return b
}

// InputProperties lists the top-level properties of w's inputs schema in
// document order, following local $refs and the members of allOf, so that
// a schema composed as `allOf: [{$ref: '#/components/inputs/common'}, {…}]`
// lists the properties of both. The first declaration of a name wins.
func (d *Document) InputProperties(w *Workflow) []InputProperty {
	if w == nil || w.Inputs == nil {
		return nil
	}
	idx := -1
	for i, x := range d.Workflows {
		if x == w {
			idx = i
		}
	}
	c := inputCollector{d: d, seen: map[string]int{}, required: map[string]bool{}}
	c.collect(w.Inputs, "/workflows/"+strconv.Itoa(idx)+"/inputs", 0)
	for i := range c.out {
		c.out[i].Required = c.required[c.out[i].Name]
	}
	sort.SliceStable(c.out, func(i, j int) bool {
		a, b := c.out[i].Pos, c.out[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return c.out[i].Name < c.out[j].Name
	})
	return c.out
}

type inputCollector struct {
	d        *Document
	out      []InputProperty
	seen     map[string]int
	required map[string]bool
}

func (c *inputCollector) collect(schema any, ptr string, depth int) {
	v, ptr, _ := ResolveLocalRef(c.d.Raw, schema, ptr)
	m, ok := v.(map[string]any)
	if !ok || depth > maxRefDepth {
		return
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for name, ps := range props {
			if _, dup := c.seen[name]; dup {
				continue
			}
			at := ptr + "/properties/" + escapePointerToken(name)
			p := InputProperty{Name: name, Pos: c.d.Locate(at)}
			if r, _, ok := ResolveLocalRef(c.d.Raw, ps, at); ok {
				p.Schema, _ = r.(map[string]any)
			}
			c.seen[name] = len(c.out)
			c.out = append(c.out, p)
		}
	}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if s, ok := r.(string); ok {
				c.required[s] = true
			}
		}
	}
	if all, ok := m["allOf"].([]any); ok {
		for k, sub := range all {
			c.collect(sub, ptr+"/allOf/"+strconv.Itoa(k), depth+1)
		}
	}
}

func escapePointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
