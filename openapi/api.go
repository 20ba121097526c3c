// Package openapi loads the API descriptions an Arazzo document's steps call
// (OpenAPI 2.0 converted to 3, 3.0, 3.1, and 3.2 best effort), indexes their
// operations, and builds HTTP requests for them: server selection, parameter
// serialization by style/explode, and request body encoding.
//
// Loading never validates strictly: published descriptions are often
// slightly invalid, and a document loads whenever its operations can be
// indexed.
package openapi

import (
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// Document is a loaded API description with its operation index.
type Document struct {
	// Location is where the description was read from (path or URL).
	Location string
	// Version is the declared version: "2.0", "3.0.3", "3.1.0", …
	Version string
	Title   string
	Servers []Server
	// Operations in document order (paths in file order, methods in
	// get, put, post, delete, options, head, patch, trace, query order).
	Operations []*Operation
	// SecuritySchemes by name.
	SecuritySchemes map[string]*SecurityScheme
	// model builds the kin-openapi model on first use (see Model).
	model *lazyModel

	byID         map[string]*Operation
	byPointer    map[string]*Operation
	byMethodPath map[string]*Operation // "GET /pets/{id}"
}

// lazyModel is the kin-openapi model of a description, built once when
// first asked for.
type lazyModel struct {
	once sync.Once
	load func() (*openapi3.T, error)
	t    *openapi3.T
	err  error
}

// Model returns the kin-openapi model of the description (Swagger 2.0
// converted to 3). It is built on first use, once: the engine itself needs
// only the operation index, and building the model costs more than the
// rest of loading (about 80% of a load; docs/performance.md). The error
// says what kin-openapi rejected when the document could only be indexed
// best-effort; the model is nil then. Model is safe for concurrent use.
func (d *Document) Model() (*openapi3.T, error) {
	if d.model == nil {
		return nil, errNoModel
	}
	m := d.model
	m.once.Do(func() {
		m.t, m.err = m.load()
		m.load = nil // release the description's bytes
	})
	return m.t, m.err
}

// Server is a server URL template with its variables.
type Server struct {
	URL         string
	Description string
	Variables   map[string]ServerVariable
}

// ServerVariable is one server URL template variable.
type ServerVariable struct {
	Default string
	Enum    []string
}

// Operation is one indexed operation.
type Operation struct {
	ID     string // operationId; "" when the description has none
	Method string // upper case: GET, POST, …
	Path   string // path template as written: /pets/{id}
	// Pointer is the JSON Pointer of the operation object:
	// "/paths/~1pets~1{id}/get".
	Pointer     string
	Summary     string
	Deprecated  bool
	Parameters  []*Parameter // path-level and operation-level merged, refs resolved
	RequestBody *RequestBody // nil when the operation takes none
	// Responses maps status code ("200", "2XX", "default") to response.
	Responses map[string]*Response
	// Servers is the effective server list: operation, else path, else
	// document level.
	Servers []Server
	// Security is the effective security requirement list (nil = inherit
	// nothing / none); each requirement maps scheme name to scopes.
	Security []map[string][]string
}

// Parameter is one operation parameter with its serialization settings
// (defaults applied: style form for query/cookie, simple for path/header;
// explode true only for form).
type Parameter struct {
	Name          string
	In            string // path, query, querystring, header, cookie
	Required      bool
	Style         string
	Explode       bool
	AllowReserved bool
	// ContentType is set for parameters described with `content` instead of
	// a schema; the value is then serialized as that media type.
	ContentType string
	// Type is the schema's type ("string", "array", "object", …) or "".
	Type string
}

// RequestBody describes what an operation accepts.
type RequestBody struct {
	Required bool
	// ContentTypes in document order.
	ContentTypes []string
	// Encodings per content type, then per property (multipart and form).
	Encodings map[string]map[string]Encoding
	// XML maps XML content types to the XML shape of their schema, which
	// object payloads sent as XML follow.
	XML map[string]*XMLShape
}

// Encoding is a multipart/form property encoding.
type Encoding struct {
	ContentType   string
	Style         string
	Explode       bool
	AllowReserved bool
}

// Response is a described response.
type Response struct {
	Description  string
	ContentTypes []string
	Headers      []string
}

// SecurityScheme is a security scheme definition.
type SecurityScheme struct {
	Type   string // apiKey, http, oauth2, openIdConnect, mutualTLS
	Scheme string // for http: basic, bearer, …
	In     string // for apiKey: header, query, cookie
	Name   string // for apiKey: the header/query/cookie name
}

// ParamValue is one evaluated parameter to send.
type ParamValue struct {
	Name  string
	In    string
	Value any // generic JSON value
	// Order gives the written member order of objects in Value; nil sends
	// members sorted by name.
	Order MemberOrder
}

// MemberOrder reports the order in which an object's members were written
// (nil when unknown). Decoded objects are Go maps, which have no order;
// arazzo.Document.MemberOrder and arazzo.DecodeValue provide one. Object
// parameters, form, multipart, JSON and XML bodies follow it; members it
// does not name follow in sorted order.
type MemberOrder func(obj map[string]any) []string

// File is a binary value with the metadata a multipart file part needs.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Body is an evaluated request body to encode.
type Body struct {
	// ContentType is the media type to send; "" means the operation's first.
	ContentType string
	// Value is generic JSON, a string, []byte or *File.
	Value any
	// Order gives the written member order of objects in Value; nil sends
	// members sorted by name.
	Order MemberOrder
}
