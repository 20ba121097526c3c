package arazzo

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/go-arazzo/arazzo/internal/keyorder"
)

// Limits that keep hostile input from exhausting memory or the stack.
const (
	// maxNodes caps the number of values produced while converting the YAML
	// tree, counting every alias expansion: a "billion laughs" document is
	// small on disk but expands exponentially.
	maxNodes = 1_000_000
	// maxDepth caps nesting; real documents stay far below it.
	maxDepth = 256
)

type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNum
	jStr
	jObj
	jArr
)

func (k jkind) String() string {
	return [...]string{"null", "boolean", "number", "string", "object", "array"}[k]
}

// jnode is a decoded YAML/JSON value with its position and JSON Pointer;
// the model builder reads it, and raw is the generic JSON form of the same
// value (shared, not copied, between a node and its parent's raw map).
type jnode struct {
	kind  jkind
	pos   Pos
	ptr   string
	text  string // scalar text as written
	raw   any
	keys  []string
	kpos  []Pos
	vals  []*jnode
	items []*jnode
	size  int // number of values in this subtree, for the expansion cap
	// height of the subtree, so that reusing an anchored value through an
	// alias still respects the depth cap.
	height int
}

// get returns the member named key of an object node, or nil.
func (n *jnode) get(key string) *jnode {
	if n == nil || n.kind != jObj {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// converter turns a yaml.Node tree into jnodes, enforcing the limits and
// recording positions.
type converter struct {
	file    string
	count   int
	aborted bool
	index   map[string]Pos
	diags   Diagnostics
	// anchors holds converted anchored nodes: an alias reuses the value
	// (and adds its size to the count) instead of converting it again, so
	// an alias bomb is detected in constant time per alias.
	anchors map[*yaml.Node]*jnode
	open    map[*yaml.Node]bool
	// order records the member order of every object, which the maps in
	// raw values do not keep.
	order *keyorder.Table
}

func (c *converter) errorf(pos Pos, ptr, rule, hint, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{
		Severity: SeverityError, Rule: rule, Message: fmt.Sprintf(format, args...),
		Hint: hint, File: c.file, Pos: pos, Path: ptr,
	})
}

func escapePtr(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func unescapePtr(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func ypos(y *yaml.Node) Pos { return Pos{Line: y.Line, Column: y.Column} }

func (c *converter) convert(y *yaml.Node, ptr string, depth int, at Pos) *jnode {
	if c.aborted || y == nil {
		return nil
	}
	c.count++
	if c.count > maxNodes {
		c.aborted = true
		c.errorf(at, ptr, "yaml-too-large", "split the document, or remove YAML aliases that expand recursively",
			"document expands to more than %d values (YAML aliases are counted each time they are used)", maxNodes)
		return nil
	}
	if depth > maxDepth {
		c.aborted = true
		c.errorf(ypos(y), ptr, "yaml-too-deep", "flatten the structure",
			"document is nested more than %d levels deep", maxDepth)
		return nil
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return nil
		}
		return c.convert(y.Content[0], ptr, depth, at)
	case yaml.AliasNode:
		if y.Alias == nil {
			return &jnode{kind: jNull, pos: ypos(y), ptr: ptr, size: 1}
		}
		if c.open[y.Alias] {
			c.aborted = true
			c.errorf(ypos(y), ptr, "yaml-syntax", "an anchor cannot contain an alias to itself", "recursive YAML alias *%s", y.Value)
			return nil
		}
		if n := c.anchors[y.Alias]; n != nil {
			if depth+n.height > maxDepth {
				c.aborted = true
				c.errorf(ypos(y), ptr, "yaml-too-deep", "flatten the structure",
					"document is nested more than %d levels deep (counting YAML aliases)", maxDepth)
				return nil
			}
			c.count += n.size
			if c.count > maxNodes {
				c.aborted = true
				c.errorf(at, ptr, "yaml-too-large", "split the document, or remove YAML aliases that expand recursively",
					"document expands to more than %d values (YAML aliases are counted each time they are used)", maxNodes)
				return nil
			}
			return n
		}
		return c.convert(y.Alias, ptr, depth+1, ypos(y))
	}
	if y.Anchor != "" {
		c.open[y] = true
		defer delete(c.open, y)
	}
	n := c.value(y, ptr, depth)
	if n != nil && y.Anchor != "" {
		c.anchors[y] = n
	}
	return n
}

func (c *converter) value(y *yaml.Node, ptr string, depth int) *jnode {
	switch y.Kind {
	case yaml.ScalarNode:
		return c.scalar(y, ptr)
	case yaml.SequenceNode:
		n := &jnode{kind: jArr, pos: ypos(y), ptr: ptr, size: 1}
		raw := make([]any, 0, len(y.Content))
		for i, item := range y.Content {
			p := ptr + "/" + strconv.Itoa(i)
			c.index[p] = ypos(item)
			child := c.convert(item, p, depth+1, ypos(item))
			if c.aborted {
				return nil
			}
			n.items = append(n.items, child)
			n.size += child.size
			n.height = max(n.height, child.height+1)
			raw = append(raw, child.raw)
		}
		n.raw = raw
		return n
	case yaml.MappingNode:
		return c.mapping(y, ptr, depth)
	}
	return &jnode{kind: jNull, pos: ypos(y), ptr: ptr, size: 1}
}

func (c *converter) mapping(y *yaml.Node, ptr string, depth int) *jnode {
	n := &jnode{kind: jObj, pos: ypos(y), ptr: ptr, size: 1}
	raw := make(map[string]any, len(y.Content)/2)
	seen := make(map[string]Pos, len(y.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		kp := ypos(y.Content[i])
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			c.errorf(kp, ptr, "yaml-key-not-string", "use a plain string as the key",
				"mapping key is a %s; keys must be strings", nodeKindName(k))
			key = fmt.Sprintf("<key at %d:%d>", kp.Line, kp.Column)
		}
		p := ptr + "/" + escapePtr(key)
		if first, dup := seen[key]; dup {
			c.errorf(kp, p, "duplicate-key", "remove or rename one of the two",
				"duplicate key %q (first defined at line %d, column %d); the last one is used", key, first.Line, first.Column)
		}
		seen[key] = kp
		c.index[p] = kp
		child := c.convert(v, p, depth+1, kp)
		if c.aborted {
			return nil
		}
		c.set(n, raw, key, kp, child)
	}
	// Merge keys (<<: *base) add the members the mapping does not set itself.
	for _, m := range merges {
		for m.Kind == yaml.AliasNode && m.Alias != nil {
			m = m.Alias
		}
		var srcs []*yaml.Node
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		} else {
			srcs = []*yaml.Node{m}
		}
		for _, s := range srcs {
			sub := c.convert(s, ptr, depth+1, ypos(s))
			if c.aborted {
				return nil
			}
			if sub == nil || sub.kind != jObj {
				c.errorf(ypos(s), ptr, "yaml-syntax", "merge a mapping", "the value of a << merge key must be a mapping")
				continue
			}
			for i, key := range sub.keys {
				if _, ok := seen[key]; !ok {
					seen[key] = sub.kpos[i]
					c.set(n, raw, key, sub.kpos[i], sub.vals[i])
				}
			}
		}
	}
	n.raw = raw
	c.order.Record(raw, n.keys)
	return n
}

func (c *converter) set(n *jnode, raw map[string]any, key string, kp Pos, child *jnode) {
	if _, dup := raw[key]; dup {
		for i, k := range n.keys {
			if k == key {
				n.kpos[i], n.vals[i] = kp, child
			}
		}
	} else {
		n.keys = append(n.keys, key)
		n.kpos = append(n.kpos, kp)
		n.vals = append(n.vals, child)
	}
	raw[key] = child.raw
	n.size += child.size
	n.height = max(n.height, child.height+1)
}

func nodeKindName(y *yaml.Node) string {
	switch y.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	}
	return "scalar"
}

// scalar resolves a scalar with the YAML 1.2 core schema (which yaml.v3
// applies when it tags the node) into a generic JSON value.
func (c *converter) scalar(y *yaml.Node, ptr string) *jnode {
	n := &jnode{kind: jStr, pos: ypos(y), ptr: ptr, text: y.Value, raw: y.Value, size: 1}
	switch y.ShortTag() {
	case "!!null":
		n.kind, n.raw = jNull, nil
	case "!!bool":
		var b bool
		if y.Decode(&b) == nil {
			n.kind, n.raw = jBool, b
		}
	case "!!int":
		var i int
		if y.Decode(&i) == nil {
			n.kind, n.raw = jNum, i
		} else if f, err := strconv.ParseFloat(strings.ReplaceAll(y.Value, "_", ""), 64); err == nil && !math.IsInf(f, 0) {
			n.kind, n.raw = jNum, f
		}
	case "!!float":
		var f float64
		// NaN and infinities have no JSON form; they stay strings.
		if y.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			n.kind, n.raw = jNum, f
		}
	}
	return n
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

// decodeYAML parses data as one YAML (or JSON) document into a jnode tree,
// with the position of every value and the member order of every object.
// It never panics: yaml.v3 panics on some malformed inputs are turned into
// diagnostics.
func decodeYAML(file string, data []byte) (root *jnode, index map[string]Pos, members *keyorder.Table, diags Diagnostics) {
	c := &converter{file: file, index: map[string]Pos{}, anchors: map[*yaml.Node]*jnode{}, open: map[*yaml.Node]bool{}, order: &keyorder.Table{}}
	defer func() {
		if r := recover(); r != nil {
			root, index, members = nil, nil, nil
			diags = append(c.diags, Diagnostic{Severity: SeverityError, Rule: "yaml-syntax", File: file, Pos: Pos{Line: 1, Column: 1},
				Message: fmt.Sprintf("cannot parse the document: the YAML parser failed (%v)", r),
				Hint:    "check that the file is well-formed YAML or JSON"})
		}
	}()
	if len(bytes.TrimSpace(data)) == 0 {
		c.errorf(Pos{Line: 1, Column: 1}, "", "empty-document", "write an Arazzo document: arazzo, info, sourceDescriptions and workflows", "document is empty")
		return nil, nil, nil, c.diags
	}
	if !utf8.Valid(data) && !hasUTF16BOM(data) {
		c.errorf(invalidUTF8Pos(data), "", "invalid-utf8", "save the file as UTF-8", "document is not valid UTF-8")
		return nil, nil, nil, c.diags
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		c.errorf(Pos{Line: 1, Column: 1}, "", "empty-document", "write an Arazzo document: arazzo, info, sourceDescriptions and workflows", "document is empty")
		return nil, nil, nil, c.diags
	} else if err != nil {
		c.errorf(yamlErrPos(err), "", "yaml-syntax", "fix the YAML/JSON syntax at this line", "cannot parse the document: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return nil, nil, nil, c.diags
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		c.errorf(ypos(&next), "", "yaml-multi-document", "keep one document per file", "file holds more than one YAML document; only the first is used")
	} else if !errors.Is(err, io.EOF) {
		c.errorf(yamlErrPos(err), "", "yaml-syntax", "fix the YAML syntax, or remove the extra document", "cannot parse the second YAML document in the file: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c.index[""] = Pos{Line: 1, Column: 1}
	root = c.convert(&doc, "", 0, Pos{Line: 1, Column: 1})
	if c.aborted {
		return nil, nil, nil, c.diags
	}
	if root == nil {
		c.errorf(Pos{Line: 1, Column: 1}, "", "empty-document", "write an Arazzo document: arazzo, info, sourceDescriptions and workflows", "document is empty")
		return nil, nil, nil, c.diags
	}
	c.index[""] = root.pos
	return root, c.index, c.order, c.diags
}

func hasUTF16BOM(data []byte) bool {
	return bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE})
}

func invalidUTF8Pos(data []byte) Pos {
	line, col := 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return Pos{Line: line, Column: col}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return Pos{Line: line, Column: col}
}

func yamlErrPos(err error) Pos {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		if l, e := strconv.Atoi(m[1]); e == nil {
			return Pos{Line: l, Column: 1}
		}
	}
	return Pos{Line: 1, Column: 1}
}
