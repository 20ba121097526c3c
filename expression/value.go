package expression

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/go-arazzo/arazzo/internal/keyorder"
)

// Stringify renders v the way an embedded expression is substituted into a
// string: nil as "", strings and []byte as they are, numbers without a
// trailing ".0" when integral, and objects and arrays as compact JSON
// (RFC 8259).
func Stringify(v any) string {
	var b strings.Builder
	writeString(&b, v)
	return b.String()
}

func writeString(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
	case string:
		b.WriteString(t)
	case []byte:
		b.Write(t)
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		b.WriteString(formatFloat(t))
	case json.Number:
		b.WriteString(string(t))
	default:
		if f, ok := toFloat(v); ok {
			if n, ok := toInt(v); ok {
				b.WriteString(strconv.FormatInt(n, 10))
			} else {
				b.WriteString(formatFloat(f))
			}
			return
		}
		b.WriteString(jsonText(v))
	}
}

// formatFloat prints integral values without a fraction ("3", not "3.0")
// and others in the shortest form that reads back the same.
func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// jsonText is compact JSON without HTML escaping; values JSON cannot hold
// fall back to Go syntax rather than failing.
func jsonText(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// quote renders a string for a message, JSON style.
func quote(s string) string { return strconv.Quote(s) }

// valueNode is one node of a compiled Value.
type valueNode interface {
	eval(ctx Context) (any, error)
}

type constNode struct{ v any }
type templateNode struct{ t *Template }
type selectorNode struct{ s *Selector }
type mapNode struct {
	keys []string
	vals []valueNode
}
type sliceNode struct{ vals []valueNode }

func (n constNode) eval(Context) (any, error)        { return n.v, nil }
func (n templateNode) eval(ctx Context) (any, error) { return n.t.Eval(ctx) }
func (n selectorNode) eval(ctx Context) (any, error) { return n.s.Eval(ctx) }

func (n *mapNode) eval(ctx Context) (any, error) {
	m := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		v, err := n.vals[i].eval(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		m[k] = v
	}
	if r, ok := ctx.(MemberRecorder); ok {
		r.RecordMembers(m, n.keys)
	}
	return m, nil
}

func (n *sliceNode) eval(ctx Context) (any, error) {
	s := make([]any, len(n.vals))
	for i, x := range n.vals {
		v, err := x.eval(ctx)
		if err != nil {
			return nil, fmt.Errorf("[%d]: %w", i, err)
		}
		s[i] = v
	}
	return s, nil
}

// CompileValue compiles v, a generic JSON value from a document.
//
// Besides *SelectorSpec leaves, a map holding exactly the Selector Object
// fields (context, selector, type, and x- extensions) in a 1.1 document is
// compiled as a selector.
func CompileValue(v any, opts Options) (*Value, []Warning, error) {
	c := &valueCompiler{opts: opts}
	root, err := c.compile(v, "")
	if err != nil {
		return nil, c.warns, err
	}
	return &Value{root: root, exprs: c.exprs}, c.warns, nil
}

// Eval returns a fresh value with every expression evaluated. Constant
// sub-trees may be shared between calls and must not be mutated by callers.
func (v *Value) Eval(ctx Context) (any, error) {
	if v == nil || v.root == nil {
		return nil, nil
	}
	return v.root.eval(ctx)
}

// Exprs returns the runtime expressions v contains.
func (v *Value) Exprs() []*Expr { return v.exprs }

// IsConstant reports whether v contains no expression or selector.
func (v *Value) IsConstant() bool {
	_, ok := v.root.(constNode)
	return ok
}

type valueCompiler struct {
	opts  Options
	warns []Warning
	exprs []*Expr
}

// compile returns a constNode for sub-trees without expressions, so they
// are shared instead of copied on every evaluation.
func (c *valueCompiler) compile(v any, path string) (valueNode, error) {
	switch t := v.(type) {
	case string:
		tm, warns, err := ParseTemplate(t, c.opts)
		c.addWarnings(warns, path)
		if err != nil {
			return nil, fmt.Errorf("%s%w", at(path), err)
		}
		if tm.IsConstant() {
			return constNode{t}, nil
		}
		c.exprs = append(c.exprs, tm.exprs...)
		return templateNode{tm}, nil
	case *SelectorSpec:
		if t == nil {
			return constNode{nil}, nil
		}
		return c.selector(*t, path)
	case SelectorSpec:
		return c.selector(t, path)
	case map[string]any:
		if spec, ok := asSelector(t); ok && isV11(c.opts.Version) {
			return c.selector(spec, path)
		}
		keys := slices.Clone(keyorder.Members(t, c.opts.MemberOrder))
		n := &mapNode{keys: keys, vals: make([]valueNode, len(keys))}
		constant := true
		for i, k := range keys {
			x, err := c.compile(t[k], path+"/"+escapeToken(k))
			if err != nil {
				return nil, err
			}
			n.vals[i] = x
			_, isConst := x.(constNode)
			constant = constant && isConst
		}
		if constant {
			return constNode{v}, nil
		}
		return n, nil
	case []any:
		n := &sliceNode{vals: make([]valueNode, len(t))}
		constant := true
		for i, x := range t {
			cx, err := c.compile(x, path+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			n.vals[i] = cx
			_, isConst := cx.(constNode)
			constant = constant && isConst
		}
		if constant {
			return constNode{v}, nil
		}
		return n, nil
	}
	// Scalars, and containers of other Go types (data an embedder built),
	// are kept as they are.
	return constNode{v}, nil
}

func (c *valueCompiler) selector(spec SelectorSpec, path string) (valueNode, error) {
	s, warns, err := CompileSelector(spec, c.opts)
	c.addWarnings(warns, path)
	if err != nil {
		return nil, fmt.Errorf("%s%w", at(path), err)
	}
	c.exprs = append(c.exprs, s.context)
	return selectorNode{s}, nil
}

func (c *valueCompiler) addWarnings(warns []Warning, path string) {
	for _, w := range warns {
		w.Message = at(path) + w.Message
		c.warns = append(c.warns, w)
	}
}

// at prefixes a message with the JSON Pointer of the value it is about.
func at(path string) string {
	if path == "" {
		return ""
	}
	return "at " + path + ": "
}

func escapeToken(k string) string { return formatPointer([]string{k})[1:] }

// asSelector recognises a Selector Object written as a plain map.
func asSelector(m map[string]any) (SelectorSpec, bool) {
	var s SelectorSpec
	ctx, ok1 := m["context"].(string)
	sel, ok2 := m["selector"].(string)
	if !ok1 || !ok2 || !strings.HasPrefix(ctx, "$") {
		return s, false
	}
	s.Context, s.Selector = ctx, sel
	switch t := m["type"].(type) {
	case string:
		s.Type = t
	case map[string]any:
		s.Type, _ = t["type"].(string)
		s.Version, _ = t["version"].(string)
	default:
		return s, false
	}
	for k := range m {
		if k != "context" && k != "selector" && k != "type" && !strings.HasPrefix(k, "x-") {
			return s, false
		}
	}
	return s, true
}
