package openapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"

	"github.com/go-arazzo/arazzo/internal/fetch"
)

// Limits that keep hostile or broken documents from exhausting the loader.
const (
	maxRefChain = 64  // $ref hops followed for one value before giving up (cycles)
	maxDocs     = 256 // distinct external documents read for one description
)

// errNoModel is Model's error for a Document that Load did not build.
var errNoModel = errors.New("openapi: the document was not built by Load, so it has no kin-openapi model")

// Load parses an API description from data, resolving external $refs
// through f relative to location. A nil f disables external references.
//
// The operation index is built from the document tree itself (so that it
// keeps file order and survives documents kin-openapi rejects); the
// kin-openapi model is built on first use of Document.Model, which returns
// the reason when kin-openapi cannot load the document. External documents
// the index read are not read again for the model.
func Load(ctx context.Context, data []byte, location string, f *fetch.Fetcher) (*Document, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	root, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("openapi: cannot parse %s as YAML or JSON: %w", displayLoc(location), err)
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("openapi: %s is not an API description: the top level must be a mapping with an `openapi` or `swagger` field", displayLoc(location))
	}
	l := &loader{ctx: ctx, f: f, root: location, docs: map[string]*yaml.Node{location: root}, raw: map[string][]byte{location: data}}
	doc := &Document{Location: location}
	if v := scalar(mapGet(root, "openapi")); v != "" {
		doc.Version = v
	} else if v := scalar(mapGet(root, "swagger")); v != "" {
		doc.Version = v
	} else {
		return nil, fmt.Errorf("openapi: %s is not an API description: it has neither an `openapi` nor a `swagger` version field", displayLoc(location))
	}
	if err := l.index(doc, root); err != nil {
		return nil, err
	}
	// The model is built lazily: keep only what it needs (the bytes read
	// so far and the fetcher), not the parsed trees, and not the caller's
	// cancellation, which may come long before the first Model call.
	l.docs = map[string]*yaml.Node{}
	l.ctx = context.WithoutCancel(ctx)
	version := doc.Version
	doc.model = &lazyModel{load: func() (*openapi3.T, error) { return l.loadModel(data, version) }}
	return doc, nil
}

func displayLoc(location string) string {
	if location == "" {
		return "the description"
	}
	return location
}

// loader reads the description and the documents its $refs point to, once
// each.
type loader struct {
	ctx  context.Context
	f    *fetch.Fetcher
	root string
	docs map[string]*yaml.Node // parsed documents by location
	raw  map[string][]byte     // bytes by location, shared with kin-openapi
	bad  map[string]error      // locations that failed to load
	// xml memoises the XML shapes of schemas (see xmlShapeOf).
	xml map[*yaml.Node]*XMLShape
}

// xmlMemo returns the loader's XML shape memo.
func (l *loader) xmlMemo() map[*yaml.Node]*XMLShape {
	if l.xml == nil {
		l.xml = map[*yaml.Node]*XMLShape{}
	}
	return l.xml
}

// read returns the bytes at loc through the fetcher, cached.
func (l *loader) read(loc string) ([]byte, error) {
	if b, ok := l.raw[loc]; ok {
		return b, nil
	}
	if err, ok := l.bad[loc]; ok {
		return nil, err
	}
	var err error
	var b []byte
	switch {
	case l.f == nil:
		err = fmt.Errorf("external reference to %s: no fetcher was given to read it", loc)
	case len(l.raw) >= maxDocs:
		err = fmt.Errorf("external reference to %s: more than %d documents referenced", loc, maxDocs)
	default:
		b, err = l.f.Fetch(l.ctx, loc)
	}
	if err != nil {
		if l.bad == nil {
			l.bad = map[string]error{}
		}
		l.bad[loc] = err
		return nil, err
	}
	l.raw[loc] = b
	return b, nil
}

// doc returns the parsed document at loc.
func (l *loader) doc(loc string) (*yaml.Node, error) {
	if n, ok := l.docs[loc]; ok {
		if n == nil {
			return nil, fmt.Errorf("%s could not be parsed", loc)
		}
		return n, nil
	}
	b, err := l.read(loc)
	if err != nil {
		return nil, err
	}
	n, err := parseTree(b)
	if err != nil {
		l.docs[loc] = nil
		return nil, fmt.Errorf("cannot parse %s: %w", loc, err)
	}
	l.docs[loc] = n
	return n, nil
}

// resolve follows the $ref chain starting at n (found in the document at
// loc) and returns the target and the location of the document holding it.
// It returns nil for unresolvable references and for cycles.
func (l *loader) resolve(n *yaml.Node, loc string) (*yaml.Node, string) {
	for range maxRefChain {
		n = deref(n)
		if n == nil || n.Kind != yaml.MappingNode {
			return n, loc
		}
		ref := mapGet(n, "$ref")
		if ref == nil {
			return n, loc
		}
		r := scalar(ref)
		if r == "" {
			return nil, loc
		}
		n, loc = l.lookup(r, loc)
	}
	return nil, loc
}

// lookup finds the node a $ref value designates.
func (l *loader) lookup(ref, loc string) (*yaml.Node, string) {
	file, frag, _ := strings.Cut(ref, "#")
	target := loc
	if file != "" {
		t, err := fetch.Resolve(loc, file)
		if err != nil {
			return nil, loc
		}
		target = t
	}
	root, err := l.doc(target)
	if err != nil {
		return nil, target
	}
	return pointerGet(root, frag), target
}

// pointerGet evaluates a JSON Pointer (as found in a URI fragment, so
// possibly percent-encoded) against n.
func pointerGet(n *yaml.Node, frag string) *yaml.Node {
	if u, err := url.PathUnescape(frag); err == nil {
		frag = u
	}
	if frag == "" {
		return n
	}
	if frag[0] != '/' {
		return nil // a plain-name fragment (3.1 $anchor): not needed for indexing
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = unescapeToken(tok)
		n = deref(n)
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			n = mapGet(n, tok)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}

func unescapeToken(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// parseTree parses YAML or JSON into a node tree that keeps key order.
func parseTree(data []byte) (*yaml.Node, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		// JSON is YAML, but yaml.v3 is slow on large JSON files and rejects
		// some valid JSON (tabs in odd places), so JSON gets its own reader.
		if n, err := parseJSONTree(trimmed); err == nil {
			return n, nil
		}
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		return n.Content[0], nil
	}
	if n.Kind == 0 {
		return nil, errors.New("empty document")
	}
	return &n, nil
}

// parseJSONTree converts JSON to the yaml.Node form the indexer reads.
func parseJSONTree(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := jsonNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data after the JSON value")
	}
	return n, nil
}

const maxJSONDepth = 10000

func jsonNode(dec *json.Decoder, depth int) (*yaml.Node, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				ks, _ := k.(string)
				v, err := jsonNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ks}, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				v, err := jsonNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}, nil
	case json.Number:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
}

// deref follows YAML aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxRefChain; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// mapGet returns the value for key in mapping n, or nil.
func mapGet(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// eachPair calls fn for every key/value of mapping n, in order.
func eachPair(n *yaml.Node, fn func(key string, v *yaml.Node)) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode {
			fn(k.Value, deref(n.Content[i+1]))
		}
	}
}

// items returns the elements of sequence n.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// scalar returns the text of a scalar node, or "".
func scalar(n *yaml.Node) string {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// boolOf reports whether n is a true boolean, and whether it is set at all.
func boolOf(n *yaml.Node) (val, set bool) {
	s := scalar(n)
	switch strings.ToLower(s) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// loadModel loads the kin-openapi model of the description. kin-openapi may
// reject documents the index copes with, and must never take the process down
// with it, so a panic in it is turned into an error.
func (l *loader) loadModel(data []byte, version string) (t *openapi3.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("kin-openapi failed on %s: %v", displayLoc(l.root), r)
		}
	}()
	kl := openapi3.NewLoader()
	kl.IsExternalRefsAllowed = l.f != nil
	kl.Context = l.ctx
	kl.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		loc := u.String()
		if u.Scheme != "http" && u.Scheme != "https" {
			loc = filepath.FromSlash(u.Path)
		}
		return l.read(loc)
	}
	var locURL *url.URL
	if l.root != "" {
		if fetch.IsURL(l.root) {
			locURL, err = url.Parse(l.root)
			if err != nil {
				return nil, err
			}
		} else {
			locURL = &url.URL{Path: filepath.ToSlash(l.root)}
		}
	}
	if strings.HasPrefix(version, "2") {
		js, err := toJSON(data)
		if err != nil {
			return nil, err
		}
		var d2 openapi2.T
		if err := json.Unmarshal(js, &d2); err != nil {
			return nil, fmt.Errorf("kin-openapi cannot read the Swagger 2.0 document: %w", err)
		}
		return openapi2conv.ToV3WithLoader(&d2, kl, locURL)
	}
	if locURL == nil {
		return kl.LoadFromData(data)
	}
	return kl.LoadFromDataWithPath(data, locURL)
}

// toJSON converts YAML (or JSON) bytes to JSON.
func toJSON(data []byte) ([]byte, error) {
	if json.Valid(data) {
		return data, nil
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	v, err := jsonable(v, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// jsonable turns yaml.v3's decoded values (map[any]any keys, …) into values
// encoding/json accepts.
func jsonable(v any, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("YAML nested too deeply")
	}
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			c, err := jsonable(e, depth+1)
			if err != nil {
				return nil, err
			}
			t[k] = c
		}
		return t, nil
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			c, err := jsonable(e, depth+1)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []any:
		for i, e := range t {
			c, err := jsonable(e, depth+1)
			if err != nil {
				return nil, err
			}
			t[i] = c
		}
		return t, nil
	}
	return v, nil
}
