package arazzo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/go-arazzo/arazzo/internal/fetch"
	"github.com/go-arazzo/arazzo/openapi"
)

// LoadOptions configure Load and LoadData.
type LoadOptions struct {
	// Fetcher reads the document and its sources; nil means
	// fetch.New(fetch.Options{}).
	Fetcher *fetch.Fetcher
	// Cache shares loaded OpenAPI and AsyncAPI descriptions between Load
	// calls (for tools that load many documents); nil means a cache for
	// this call only.
	Cache *Cache
	// MapLocation, when set, rewrites the resolved location of every source
	// description before it is fetched: a mirror, a local copy of a remote
	// file, or a test fixture directory. Diagnostics show both locations.
	MapLocation func(resolved string) string
	// SkipSources parses the document without loading its sources.
	SkipSources bool
}

// Source kinds found by sniffing a source whose type is not declared are
// the Source* constants; Bundle.Sources records what was loaded.

// Source is one loaded source description.
type Source struct {
	Name        string
	Description *SourceDescription
	// Location is the resolved location the source was read from (after
	// LoadOptions.MapLocation).
	Location string
	// Kind is SourceOpenAPI, SourceArazzo or SourceAsyncAPI: the declared
	// type, or the sniffed one when the type is absent.
	Kind string
	// Exactly one of OpenAPI, Arazzo and AsyncAPI is set when Err is nil.
	OpenAPI  *openapi.Document
	Arazzo   *Bundle
	AsyncAPI any // the AsyncAPI document as generic JSON values
	// Err says why the source could not be loaded.
	Err error
}

// Bundle is a loaded Arazzo document with its sources.
type Bundle struct {
	Document *Document
	// Sources maps source description names to loaded sources.
	Sources map[string]*Source
}

// Source returns the loaded source with the given name, or nil.
func (b *Bundle) Source(name string) *Source {
	if b == nil {
		return nil
	}
	return b.Sources[name]
}

// Cache holds loaded source descriptions by location. It is safe for
// concurrent use; each location is fetched and parsed at most once.
type Cache struct {
	mu sync.Mutex
	m  map[string]*cacheEntry
}

// NewCache returns an empty Cache.
func NewCache() *Cache { return &Cache{m: map[string]*cacheEntry{}} }

type cacheEntry struct {
	once  sync.Once
	data  []byte
	err   error
	kOnce sync.Once // guards the parsed forms below
	oa    *openapi.Document
	async any
	kErr  error
}

func (c *Cache) entry(loc string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*cacheEntry{}
	}
	e := c.m[loc]
	if e == nil {
		e = &cacheEntry{}
		c.m[loc] = e
	}
	return e
}

// Load reads the Arazzo document at location (a file path or an http(s)
// URL), parses it, loads its source descriptions and resolves its component
// references. The Bundle is nil only when the document itself could not be
// read or parsed; a source that cannot be loaded is a diagnostic and a
// Source with Err set.
//
// Load does not validate: call Validate on the Bundle.
func Load(ctx context.Context, location string, opts LoadOptions) (*Bundle, Diagnostics) {
	f := opts.Fetcher
	if f == nil {
		f = fetch.New(fetch.Options{})
	}
	data, err := f.Fetch(ctx, location)
	if err != nil {
		return nil, Diagnostics{{Severity: SeverityError, Rule: "source-load", File: location, Pos: Pos{Line: 1, Column: 1},
			Message: err.Error(), Hint: "check the path or URL and that it is readable"}}
	}
	return LoadData(ctx, location, data, opts)
}

// LoadData is Load for a document already in memory; location names it and
// is the base for its relative source URLs.
func LoadData(ctx context.Context, location string, data []byte, opts LoadOptions) (*Bundle, Diagnostics) {
	doc, diags := Parse(location, data)
	if doc == nil {
		return nil, diags
	}
	if opts.Fetcher == nil {
		opts.Fetcher = fetch.New(fetch.Options{})
	}
	if opts.Cache == nil {
		opts.Cache = NewCache()
	}
	l := &loader{ctx: ctx, opts: opts, bundles: map[string]*Bundle{}}
	b := l.bundle(doc, location)
	return b, append(diags, l.diags...)
}

type loader struct {
	ctx  context.Context
	opts LoadOptions
	// bundles holds the Arazzo documents of this call by location (bundleKey),
	// the root included. A document is registered before its sources are
	// loaded, so documents that list each other (A → B → A) share one
	// Bundle each and loading terminates.
	bundles map[string]*Bundle
	diags   Diagnostics
}

// bundleKey identifies a document location: URLs as they are, file paths
// made absolute and clean, so that "./a.yaml" and "a.yaml" are one document.
func bundleKey(loc string) string {
	if fetch.IsURL(loc) {
		return loc
	}
	if strings.HasPrefix(loc, "file:") {
		if p, err := fetch.Resolve("", loc); err == nil {
			loc = p
		}
	}
	if abs, err := filepath.Abs(loc); err == nil {
		return abs
	}
	return filepath.Clean(loc)
}

// baseURI is where relative source URLs resolve from: $self when present
// (resolved against the retrieval location if relative), else the location.
func (d *Document) baseURI() string {
	if d.Self != "" && d.Minor() == "1.1" {
		if base, err := fetch.Resolve(d.Location, d.Self); err == nil && base != "" {
			return base
		}
	}
	return d.Location
}

// bundle builds the Bundle of doc, read from location, loading its sources.
func (l *loader) bundle(doc *Document, location string) *Bundle {
	doc.resolveComponents()
	b := &Bundle{Document: doc, Sources: map[string]*Source{}}
	l.bundles[bundleKey(location)] = b
	if l.opts.SkipSources {
		return b
	}
	base := doc.baseURI()
	for i, sd := range doc.SourceDescriptions {
		if _, dup := b.Sources[sd.Name]; dup || sd.Name == "" {
			continue // reported by validation (source-name-unique, schema)
		}
		src := &Source{Name: sd.Name, Description: sd, Kind: sd.Type}
		b.Sources[sd.Name] = src
		if sd.URL == "" {
			src.Err = errors.New("the source description has no url")
			continue
		}
		fail := func(err error) {
			src.Err = err
			shown := sd.URL
			if src.Location != "" && src.Location != sd.URL {
				shown += " (resolved to " + src.Location + ")"
			}
			l.diags = append(l.diags, Diagnostic{Severity: SeverityError, Rule: "source-load", File: doc.Location, Pos: sd.Pos,
				Path:    fmt.Sprintf("/sourceDescriptions/%d", i),
				Message: fmt.Sprintf("cannot load source description %q from %s: %v", sd.Name, shown, err),
				Hint:    "check the url: a relative url resolves against the document's location (or its $self)"})
		}
		loc, err := fetch.Resolve(base, sd.URL)
		if err != nil {
			fail(err)
			continue
		}
		if l.opts.MapLocation != nil {
			if m := l.opts.MapLocation(loc); m != "" {
				loc = m
			}
		}
		src.Location = loc
		switch sd.Type {
		case "", SourceOpenAPI, SourceArazzo, SourceAsyncAPI:
		default:
			src.Err = fmt.Errorf("unknown source type %q", sd.Type)
			continue // the schema reports the bad enum value
		}
		e := l.opts.Cache.entry(loc)
		e.once.Do(func() { e.data, e.err = l.opts.Fetcher.Fetch(l.ctx, loc) })
		if e.err != nil {
			fail(unwrapFetch(e.err))
			continue
		}
		if src.Kind == "" {
			src.Kind = sniff(e.data)
			if src.Kind == "" {
				fail(errors.New("the type is not declared and the content is not recognisable as OpenAPI, Arazzo or AsyncAPI; add `type`"))
				continue
			}
		}
		switch src.Kind {
		case SourceArazzo:
			// A document already loaded in this call (one that lists
			// this one back, or this one itself) is reused: documents
			// may refer to each other's workflows, and a runtime call
			// cycle is the runner's to detect.
			if sub, ok := l.bundles[bundleKey(loc)]; ok {
				src.Arazzo = sub
				continue
			}
			sdoc, sdiags := Parse(loc, e.data)
			l.diags = append(l.diags, sdiags...)
			if sdoc == nil {
				fail(errors.New("the document cannot be parsed"))
				continue
			}
			src.Arazzo = l.bundle(sdoc, loc)
		case SourceOpenAPI:
			e.kOnce.Do(func() { e.oa, e.kErr = loadOpenAPI(l.ctx, e.data, loc, l.opts.Fetcher) })
			if e.kErr != nil {
				fail(e.kErr)
				continue
			}
			src.OpenAPI = e.oa
		case SourceAsyncAPI:
			e.kOnce.Do(func() {
				root, _, _, ds := decodeYAML(loc, e.data)
				if root == nil {
					e.kErr = errors.New(ds.Error())
					return
				}
				e.async = root.raw
			})
			if e.kErr != nil {
				fail(e.kErr)
				continue
			}
			src.AsyncAPI = e.async
		}
	}
	return b
}

// loadOpenAPI calls openapi.Load, turning a panic in it into an error so
// that one bad description cannot crash the loading of a document.
func loadOpenAPI(ctx context.Context, data []byte, loc string, f *fetch.Fetcher) (doc *openapi.Document, err error) {
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("the OpenAPI loader failed: %v", r)
		}
	}()
	doc, err = openapi.Load(ctx, data, loc, f)
	if err == nil && doc == nil {
		err = errors.New("the OpenAPI loader returned no document")
	}
	return doc, err
}

func unwrapFetch(err error) error {
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return fe.Err
	}
	return err
}

var sniffRE = regexp.MustCompile(`(?m)^["']?(openapi|swagger|arazzo|asyncapi)["']?\s*:|"(openapi|swagger|arazzo|asyncapi)"\s*:`)

// sniff guesses a source's kind from its top-level version key.
func sniff(data []byte) string {
	// The version key is near the top in practice; bound the scan.
	head := data
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	m := sniffRE.FindSubmatch(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if m == nil {
		return ""
	}
	key := string(m[1])
	if key == "" {
		key = string(m[2])
	}
	switch key {
	case "openapi", "swagger":
		return SourceOpenAPI
	case "arazzo":
		return SourceArazzo
	}
	return SourceAsyncAPI
}
