package openapi

import (
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// methods are the fixed operation fields of a Path Item Object, in the order
// the index lists them.
var methods = [...]string{"get", "put", "post", "delete", "options", "head", "patch", "trace", "query"}

// index fills doc from the description's root node.
func (l *loader) index(doc *Document, root *yaml.Node) error {
	swagger := strings.HasPrefix(doc.Version, "2")
	doc.Title = scalar(mapGet(mapGet(root, "info"), "title"))
	if swagger {
		doc.Servers = swaggerServers(root, l.root)
		doc.SecuritySchemes = l.swaggerSchemes(root)
	} else {
		doc.Servers = l.servers(mapGet(root, "servers"), l.root)
		if len(doc.Servers) == 0 {
			// OpenAPI 3: without servers, the server is "/" (relative to
			// where the description was served from).
			doc.Servers = []Server{{URL: "/"}}
		}
		doc.SecuritySchemes = l.schemes(mapGet(mapGet(root, "components"), "securitySchemes"), l.root)
	}
	docSecurity := security(mapGet(root, "security"))
	ctx := &opContext{
		swagger:   swagger,
		consumes:  stringList(mapGet(root, "consumes")),
		produces:  stringList(mapGet(root, "produces")),
		docSec:    docSecurity,
		docServer: doc.Servers,
	}
	doc.byID = map[string]*Operation{}
	doc.byPointer = map[string]*Operation{}
	doc.byMethodPath = map[string]*Operation{}
	eachPair(mapGet(root, "paths"), func(path string, v *yaml.Node) {
		item, itemLoc := l.resolve(v, l.root)
		if item == nil || item.Kind != yaml.MappingNode {
			return
		}
		pathServers := l.servers(mapGet(item, "servers"), itemLoc)
		base := "/paths/" + escapeToken(path) + "/"
		add := func(method, ptr string, n *yaml.Node) {
			opNode, opLoc := l.resolve(n, itemLoc)
			var op *Operation
			if opNode == nil || opNode.Kind != yaml.MappingNode {
				// An operation behind an unreadable $ref still exists at
				// this method and path; index it without its details.
				op = &Operation{Security: ctx.docSec}
			} else {
				op = l.operation(ctx, item, itemLoc, opNode, opLoc)
			}
			op.Method = strings.ToUpper(method)
			op.Path = path
			op.Pointer = ptr
			if op.Servers == nil {
				op.Servers = pathServers
			}
			if op.Servers == nil {
				op.Servers = doc.Servers
			}
			doc.add(op)
		}
		for _, m := range methods {
			if n := mapGet(item, m); n != nil {
				add(m, base+m, n)
			}
		}
		// OpenAPI 3.2: methods without a fixed field.
		eachPair(mapGet(item, "additionalOperations"), func(m string, n *yaml.Node) {
			add(m, base+"additionalOperations/"+escapeToken(m), n)
		})
	})
	return nil
}

// add indexes op. The first operation wins a duplicate operationId, as the
// description order is the only tie-breaker an author can see.
func (d *Document) add(op *Operation) {
	d.Operations = append(d.Operations, op)
	if op.ID != "" {
		if _, dup := d.byID[op.ID]; !dup {
			d.byID[op.ID] = op
		}
	}
	d.byPointer[op.Pointer] = op
	k := op.Method + " " + op.Path
	if _, dup := d.byMethodPath[k]; !dup {
		d.byMethodPath[k] = op
	}
}

// opContext carries document-level defaults into operations.
type opContext struct {
	swagger            bool
	consumes, produces []string
	docSec             []map[string][]string
	docServer          []Server
}

func (l *loader) operation(ctx *opContext, item *yaml.Node, itemLoc string, n *yaml.Node, loc string) *Operation {
	op := &Operation{
		ID:      scalar(mapGet(n, "operationId")),
		Summary: scalar(mapGet(n, "summary")),
	}
	op.Deprecated, _ = boolOf(mapGet(n, "deprecated"))
	op.Servers = l.servers(mapGet(n, "servers"), loc)
	if s := mapGet(n, "security"); s != nil {
		op.Security = security(s)
	} else {
		op.Security = ctx.docSec
	}

	// Parameters: path level first, the operation's replace them by name+in.
	type raw struct {
		n   *yaml.Node
		loc string
	}
	var params []raw
	for _, p := range items(mapGet(item, "parameters")) {
		params = append(params, raw{p, itemLoc})
	}
	for _, p := range items(mapGet(n, "parameters")) {
		params = append(params, raw{p, loc})
	}
	consumes := ctx.consumes
	if c := mapGet(n, "consumes"); c != nil {
		consumes = stringList(c)
	}
	var body2, form2 []*yaml.Node // Swagger 2.0 body and formData parameters
	for _, r := range params {
		pn, ploc := l.resolve(r.n, r.loc)
		if pn == nil || pn.Kind != yaml.MappingNode {
			continue
		}
		in := scalar(mapGet(pn, "in"))
		if ctx.swagger && in == "body" {
			body2 = replaceNamed(body2, pn)
			continue
		}
		if ctx.swagger && in == "formData" {
			form2 = replaceNamed(form2, pn)
			continue
		}
		p := l.parameter(pn, ploc, ctx.swagger)
		if p.Name == "" || p.In == "" {
			continue
		}
		op.Parameters = mergeParam(op.Parameters, p)
	}

	if ctx.swagger {
		op.RequestBody = swaggerBody(body2, form2, consumes)
		if op.RequestBody != nil && len(body2) > 0 {
			for _, ct := range op.RequestBody.ContentTypes {
				if !isXML(mediaType(ct)) {
					continue
				}
				if sh := l.xmlShapeOf(mapGet(body2[0], "schema"), loc, 0, l.xmlMemo()); sh != nil {
					if op.RequestBody.XML == nil {
						op.RequestBody.XML = map[string]*XMLShape{}
					}
					op.RequestBody.XML[ct] = sh
				}
			}
		}
	} else if rb, rbLoc := l.resolve(mapGet(n, "requestBody"), loc); rb != nil && rb.Kind == yaml.MappingNode {
		op.RequestBody = l.requestBody(rb, rbLoc)
	}

	produces := ctx.produces
	if p := mapGet(n, "produces"); p != nil {
		produces = stringList(p)
	}
	eachPair(mapGet(n, "responses"), func(code string, v *yaml.Node) {
		if strings.HasPrefix(code, "x-") {
			return
		}
		rn, _ := l.resolve(v, loc)
		if rn == nil || rn.Kind != yaml.MappingNode {
			return
		}
		r := &Response{Description: scalar(mapGet(rn, "description"))}
		if ctx.swagger {
			if mapGet(rn, "schema") != nil {
				r.ContentTypes = produces
			}
		} else {
			eachPair(mapGet(rn, "content"), func(ct string, _ *yaml.Node) { r.ContentTypes = append(r.ContentTypes, ct) })
		}
		eachPair(mapGet(rn, "headers"), func(h string, _ *yaml.Node) { r.Headers = append(r.Headers, h) })
		if op.Responses == nil {
			op.Responses = map[string]*Response{}
		}
		op.Responses[code] = r
	})
	return op
}

// replaceNamed appends p to list, replacing an entry of the same name.
func replaceNamed(list []*yaml.Node, p *yaml.Node) []*yaml.Node {
	name := scalar(mapGet(p, "name"))
	for i, q := range list {
		if scalar(mapGet(q, "name")) == name {
			list[i] = p
			return list
		}
	}
	return append(list, p)
}

// mergeParam adds p to list, replacing a parameter with the same name and
// location (header names compare case-insensitively, as HTTP does).
func mergeParam(list []*Parameter, p *Parameter) []*Parameter {
	for i, q := range list {
		if sameParam(q.Name, q.In, p.Name, p.In) {
			list[i] = p
			return list
		}
	}
	return append(list, p)
}

func sameParam(name1, in1, name2, in2 string) bool {
	if in1 != in2 {
		return false
	}
	if in1 == "header" {
		return strings.EqualFold(name1, name2)
	}
	return name1 == name2
}

// parameter reads a Parameter Object, applying the serialization defaults.
func (l *loader) parameter(n *yaml.Node, loc string, swagger bool) *Parameter {
	p := &Parameter{
		Name: scalar(mapGet(n, "name")),
		In:   scalar(mapGet(n, "in")),
	}
	p.Required, _ = boolOf(mapGet(n, "required"))
	if p.In == "path" {
		p.Required = true
	}
	if swagger {
		p.Type = scalar(mapGet(n, "type"))
		if cf := scalar(mapGet(n, "collectionFormat")); cf != "" || p.Type == "array" {
			p.Style, p.Explode = collectionStyle(p.In, cf)
		} else {
			p.Style = defaultStyle(p.In)
			p.Explode = p.Style == "form"
		}
		return p
	}
	p.AllowReserved, _ = boolOf(mapGet(n, "allowReserved"))
	p.Style = scalar(mapGet(n, "style"))
	if p.Style == "" {
		p.Style = defaultStyle(p.In)
	}
	explode, set := boolOf(mapGet(n, "explode"))
	if !set {
		explode = p.Style == "form" || p.Style == "cookie"
	}
	p.Explode = explode
	if s, _ := l.resolve(mapGet(n, "schema"), loc); s != nil {
		p.Type = schemaType(s)
	}
	eachPair(mapGet(n, "content"), func(ct string, _ *yaml.Node) {
		if p.ContentType == "" {
			p.ContentType = ct
		}
	})
	return p
}

// schemaType returns the schema's type, the first non-null one of a 3.1
// type list.
func schemaType(s *yaml.Node) string {
	t := mapGet(s, "type")
	if t == nil {
		return ""
	}
	if t.Kind == yaml.SequenceNode {
		for _, e := range t.Content {
			if v := scalar(e); v != "null" && v != "" {
				return v
			}
		}
		return ""
	}
	return scalar(t)
}

// defaultStyle is the OpenAPI 3 default style of a parameter location.
func defaultStyle(in string) string {
	switch in {
	case "query", "cookie":
		return "form"
	}
	return "simple"
}

// collectionStyle maps a Swagger 2.0 collectionFormat to an OpenAPI 3 style
// and explode. tsv has no OpenAPI 3 equivalent: it becomes the style
// "tabDelimited", which this package serializes like pipeDelimited with a
// tab (%09) separator.
func collectionStyle(in, format string) (string, bool) {
	switch format {
	case "ssv":
		return "spaceDelimited", false
	case "pipes":
		return "pipeDelimited", false
	case "tsv":
		return "tabDelimited", false
	case "multi":
		return "form", true
	}
	// csv, the default.
	if in == "query" || in == "cookie" {
		return "form", false
	}
	return "simple", false
}

func (l *loader) requestBody(n *yaml.Node, loc string) *RequestBody {
	rb := &RequestBody{}
	rb.Required, _ = boolOf(mapGet(n, "required"))
	eachPair(mapGet(n, "content"), func(ct string, mt *yaml.Node) {
		rb.ContentTypes = append(rb.ContentTypes, ct)
		mt, mtLoc := l.resolve(mt, loc) // 3.2 allows Media Type Object refs
		eachPair(mapGet(mt, "encoding"), func(prop string, e *yaml.Node) {
			e, _ = l.resolve(e, mtLoc)
			if e == nil {
				return
			}
			enc := Encoding{ContentType: scalar(mapGet(e, "contentType")), Style: scalar(mapGet(e, "style"))}
			enc.AllowReserved, _ = boolOf(mapGet(e, "allowReserved"))
			explode, set := boolOf(mapGet(e, "explode"))
			if !set {
				explode = enc.Style == "" || enc.Style == "form"
			}
			enc.Explode = explode
			if rb.Encodings == nil {
				rb.Encodings = map[string]map[string]Encoding{}
			}
			if rb.Encodings[ct] == nil {
				rb.Encodings[ct] = map[string]Encoding{}
			}
			rb.Encodings[ct][prop] = enc
		})
		if isXML(mediaType(ct)) {
			if sh := l.xmlShapeOf(mapGet(mt, "schema"), mtLoc, 0, l.xmlMemo()); sh != nil {
				if rb.XML == nil {
					rb.XML = map[string]*XMLShape{}
				}
				rb.XML[ct] = sh
			}
		}
	})
	return rb
}

// swaggerBody builds the request body of a Swagger 2.0 operation from its
// body or formData parameters.
func swaggerBody(body, form []*yaml.Node, consumes []string) *RequestBody {
	switch {
	case len(body) > 0:
		rb := &RequestBody{ContentTypes: consumes}
		rb.Required, _ = boolOf(mapGet(body[0], "required"))
		if len(rb.ContentTypes) == 0 {
			rb.ContentTypes = []string{"application/json"}
		}
		return rb
	case len(form) > 0:
		rb := &RequestBody{}
		hasFile := false
		for _, p := range form {
			if scalar(mapGet(p, "type")) == "file" {
				hasFile = true
			}
			if req, _ := boolOf(mapGet(p, "required")); req {
				rb.Required = true
			}
		}
		for _, c := range consumes {
			if strings.HasPrefix(c, "multipart/form-data") || strings.HasPrefix(c, "application/x-www-form-urlencoded") {
				rb.ContentTypes = append(rb.ContentTypes, c)
			}
		}
		if len(rb.ContentTypes) == 0 {
			if hasFile {
				rb.ContentTypes = []string{"multipart/form-data"}
			} else {
				rb.ContentTypes = []string{"application/x-www-form-urlencoded"}
			}
		}
		for _, ct := range rb.ContentTypes {
			for _, p := range form {
				st, ex := collectionStyle("query", scalar(mapGet(p, "collectionFormat")))
				if st == "form" && ex {
					continue // the default encoding
				}
				if rb.Encodings == nil {
					rb.Encodings = map[string]map[string]Encoding{}
				}
				if rb.Encodings[ct] == nil {
					rb.Encodings[ct] = map[string]Encoding{}
				}
				rb.Encodings[ct][scalar(mapGet(p, "name"))] = Encoding{Style: st, Explode: ex}
			}
		}
		return rb
	}
	return nil
}

func stringList(n *yaml.Node) []string {
	var out []string
	for _, e := range items(n) {
		if s := scalar(e); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// security reads a list of Security Requirement Objects.
func security(n *yaml.Node) []map[string][]string {
	var out []map[string][]string
	for _, req := range items(n) {
		m := map[string][]string{}
		eachPair(req, func(name string, scopes *yaml.Node) {
			m[name] = stringList(scopes)
			if m[name] == nil {
				m[name] = []string{}
			}
		})
		out = append(out, m)
	}
	return out
}

// servers reads a list of Server Objects; nil when absent or empty.
func (l *loader) servers(n *yaml.Node, loc string) []Server {
	var out []Server
	for _, e := range items(n) {
		e, _ = l.resolve(e, loc)
		u := scalar(mapGet(e, "url"))
		if u == "" {
			continue
		}
		s := Server{URL: u, Description: scalar(mapGet(e, "description"))}
		eachPair(mapGet(e, "variables"), func(name string, v *yaml.Node) {
			if s.Variables == nil {
				s.Variables = map[string]ServerVariable{}
			}
			s.Variables[name] = ServerVariable{Default: scalar(mapGet(v, "default")), Enum: stringList(mapGet(v, "enum"))}
		})
		out = append(out, s)
	}
	return out
}

// swaggerServers builds servers from Swagger 2.0 schemes, host and basePath.
// Without a host the server is the bare basePath, relative to where the
// description was served from (see ResolveServerURL). Without schemes, the
// scheme is the description's own when it was fetched over http(s), else
// https.
func swaggerServers(root *yaml.Node, location string) []Server {
	host := scalar(mapGet(root, "host"))
	basePath := scalar(mapGet(root, "basePath"))
	if basePath != "" && basePath[0] != '/' {
		basePath = "/" + basePath
	}
	if host == "" {
		if basePath == "" {
			basePath = "/"
		}
		return []Server{{URL: basePath}}
	}
	host = strings.TrimRight(host, "/")
	schemes := stringList(mapGet(root, "schemes"))
	if len(schemes) == 0 {
		scheme := "https"
		if u, err := url.Parse(location); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
			scheme = u.Scheme
		}
		schemes = []string{scheme}
	}
	var out []Server
	for _, s := range schemes {
		if s != "http" && s != "https" {
			continue // ws/wss cannot carry these requests
		}
		out = append(out, Server{URL: s + "://" + host + basePath})
	}
	if len(out) == 0 {
		out = []Server{{URL: "https://" + host + basePath}}
	}
	return out
}

func (l *loader) schemes(n *yaml.Node, loc string) map[string]*SecurityScheme {
	out := map[string]*SecurityScheme{}
	eachPair(n, func(name string, v *yaml.Node) {
		v, _ = l.resolve(v, loc)
		if v == nil {
			return
		}
		out[name] = &SecurityScheme{
			Type:   scalar(mapGet(v, "type")),
			Scheme: strings.ToLower(scalar(mapGet(v, "scheme"))),
			In:     scalar(mapGet(v, "in")),
			Name:   scalar(mapGet(v, "name")),
		}
	})
	return out
}

// swaggerSchemes maps Swagger 2.0 securityDefinitions to OpenAPI 3 terms
// (type basic becomes http with scheme basic).
func (l *loader) swaggerSchemes(root *yaml.Node) map[string]*SecurityScheme {
	out := l.schemes(mapGet(root, "securityDefinitions"), l.root)
	for _, s := range out {
		if s.Type == "basic" {
			s.Type, s.Scheme = "http", "basic"
		}
	}
	return out
}

// OperationByID returns the operation with the given operationId, or nil.
func (d *Document) OperationByID(id string) *Operation {
	if d == nil {
		return nil
	}
	if d.byID == nil { // a Document built by hand, not by Load
		for _, op := range d.Operations {
			if op.ID == id && id != "" {
				return op
			}
		}
		return nil
	}
	return d.byID[id]
}

// OperationByPointer returns the operation at a JSON Pointer such as
// "/paths/~1pets~1{id}/get" or "#/paths/~1pets~1{id}/get", or nil. Common
// variants seen in published documents are accepted (unescaped path
// segments, percent-encoded characters, upper-case methods, a trailing
// slash).
func (d *Document) OperationByPointer(ptr string) *Operation {
	if d == nil {
		return nil
	}
	if d.byPointer == nil { // a Document built by hand, not by Load
		d = d.indexed()
	}
	ptr = strings.TrimPrefix(ptr, "#")
	if op := d.byPointer[ptr]; op != nil {
		return op
	}
	if op := d.pointerVariant(ptr); op != nil {
		return op
	}
	if u, err := url.PathUnescape(ptr); err == nil && u != ptr {
		if op := d.byPointer[u]; op != nil {
			return op
		}
		return d.pointerVariant(u)
	}
	return nil
}

// pointerVariant parses a lenient /paths/<path>/<method> pointer.
func (d *Document) pointerVariant(ptr string) *Operation {
	if !strings.HasPrefix(ptr, "/") {
		ptr = "/" + ptr
	}
	rest, ok := strings.CutPrefix(ptr, "/paths/")
	if !ok {
		return nil
	}
	rest = strings.TrimSuffix(rest, "/")
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return nil
	}
	path, method := rest[:i], rest[i+1:]
	if p, ok := strings.CutSuffix(path, "/additionalOperations"); ok && d.byMethodPath[strings.ToUpper(method)+" "+unescapeToken(p)] != nil {
		path = p
	}
	path = unescapeToken(path)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return d.byMethodPath[strings.ToUpper(method)+" "+path]
}

// OperationByMethodPath returns the operation for method and a path, or nil.
// path is a path template as written in the description (/pets/{id}); when
// no template matches it literally, it is matched as a concrete request path
// (/pets/42) against the templates, the template with the most literal
// segments winning.
func (d *Document) OperationByMethodPath(method, path string) *Operation {
	if d == nil {
		return nil
	}
	if d.byMethodPath == nil {
		d = d.indexed()
	}
	method = strings.ToUpper(method)
	if op := d.byMethodPath[method+" "+path]; op != nil {
		return op
	}
	if p := strings.TrimSuffix(path, "/"); p != path && p != "" {
		if op := d.byMethodPath[method+" "+p]; op != nil {
			return op
		}
	}
	var best *Operation
	bestLiterals := -1
	for _, op := range d.Operations {
		if op.Method != method {
			continue
		}
		if n, ok := matchTemplate(op.Path, path); ok && n > bestLiterals {
			best, bestLiterals = op, n
		}
	}
	return best
}

// matchTemplate matches a concrete path against a path template segment by
// segment and returns how many segments matched literally.
func matchTemplate(template, path string) (int, bool) {
	template = strings.Trim(template, "/")
	path = strings.Trim(path, "/")
	literals := 0
	for {
		ts, trest, tmore := strings.Cut(template, "/")
		ps, prest, pmore := strings.Cut(path, "/")
		if i := strings.IndexByte(ts, '{'); i >= 0 && strings.HasSuffix(ts, "}") && strings.HasPrefix(ps, ts[:i]) && len(ps) > i {
			// a {param} segment, possibly after a literal prefix: v{version}
		} else if ts == ps {
			literals++
		} else {
			return 0, false
		}
		if tmore != pmore {
			return 0, false
		}
		if !tmore {
			return literals, true
		}
		template, path = trest, prest
	}
}

// indexed returns a copy of a hand-built d with its lookup maps filled (d
// itself is left alone, so concurrent readers stay safe).
func (d *Document) indexed() *Document {
	c := &Document{byID: map[string]*Operation{}, byPointer: map[string]*Operation{}, byMethodPath: map[string]*Operation{}}
	for _, op := range d.Operations {
		c.add(op)
		if op.Pointer == "" {
			c.byPointer["/paths/"+escapeToken(op.Path)+"/"+strings.ToLower(op.Method)] = op
		}
	}
	return c
}
