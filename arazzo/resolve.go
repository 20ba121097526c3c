package arazzo

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/go-arazzo/arazzo/openapi"
)

// unbrace strips one pair of surrounding braces and blanks:
// "{$sourceDescriptions.a.url}" → "$sourceDescriptions.a.url".
func unbrace(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// splitComponentRef splits "$components.parameters.page" into
// ("parameters", "page"). Component names may contain dots, so only the
// first dot after the type separates.
func splitComponentRef(ref string) (typ, name string, ok bool) {
	rest, ok := strings.CutPrefix(unbrace(ref), "$components.")
	if !ok {
		return "", "", false
	}
	typ, name, ok = strings.Cut(rest, ".")
	return typ, name, ok && typ != "" && name != ""
}

// splitSourceRef splits "$sourceDescriptions.petstore.getPet" into
// ("petstore", "getPet"). Source names cannot contain dots. The singular
// "$sourceDescription." found in published documents is accepted too; the
// validator warns about it (see singularSourceRef).
func splitSourceRef(ref string) (source, rest string, ok bool) {
	r, ok := strings.CutPrefix(unbrace(ref), "$sourceDescriptions.")
	if !ok {
		r, ok = strings.CutPrefix(unbrace(ref), "$sourceDescription.")
	}
	if !ok {
		return "", "", false
	}
	source, rest, ok = strings.Cut(r, ".")
	return source, rest, ok && source != "" && rest != ""
}

// singularSourceRef reports whether ref is written with the singular
// "$sourceDescription." prefix, which the spec does not define.
func singularSourceRef(ref string) bool {
	return strings.HasPrefix(unbrace(ref), "$sourceDescription.")
}

// resolveComponents fills parameters and actions given as Reusable Objects
// from the components, in place, once. Problems are kept for Validate to
// report (rule component-reference).
func (d *Document) resolveComponents() Diagnostics {
	if d.resolved {
		return d.resolveDiags
	}
	d.resolved = true
	r := &refResolver{d: d}
	if c := d.Components; c != nil {
		// Component actions may themselves use reusable parameters.
		for _, name := range sortedKeys(c.SuccessActions) {
			r.params(c.SuccessActions[name].Parameters, "/components/successActions/"+escapePtr(name)+"/parameters")
		}
		for _, name := range sortedKeys(c.FailureActions) {
			r.params(c.FailureActions[name].Parameters, "/components/failureActions/"+escapePtr(name)+"/parameters")
		}
	}
	for i, w := range d.Workflows {
		wp := "/workflows/" + strconv.Itoa(i)
		r.params(w.Parameters, wp+"/parameters")
		r.actions(w.SuccessActions, wp+"/successActions")
		r.actions(w.FailureActions, wp+"/failureActions")
		for j, s := range w.Steps {
			sp := wp + "/steps/" + strconv.Itoa(j)
			r.params(s.Parameters, sp+"/parameters")
			r.actions(s.OnSuccess, sp+"/onSuccess")
			r.actions(s.OnFailure, sp+"/onFailure")
		}
	}
	d.resolveDiags = r.diags
	return r.diags
}

type refResolver struct {
	d     *Document
	diags Diagnostics
}

func (r *refResolver) fail(ptr string, pos Pos, ref, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{Severity: SeverityError, Rule: "component-reference", File: r.d.Location, Pos: pos,
		Path: ptr + "/reference", Message: fmt.Sprintf("reference %q: ", ref) + fmt.Sprintf(format, args...),
		Hint: "define the component under `components`, or fix the reference ($components.<type>.<name>)"})
}

func (r *refResolver) params(ps []*Parameter, base string) {
	for i, p := range ps {
		if p.Ref == nil {
			continue
		}
		ptr := base + "/" + strconv.Itoa(i)
		typ, name, ok := splitComponentRef(p.Ref.Reference)
		if !ok {
			r.fail(ptr, p.Ref.Pos, p.Ref.Reference, "not a component reference")
			continue
		}
		if typ != "parameters" {
			r.fail(ptr, p.Ref.Pos, p.Ref.Reference, "a parameter must reference $components.parameters, not $components.%s", typ)
			continue
		}
		var c *Parameter
		if r.d.Components != nil {
			c = r.d.Components.Parameters[name]
		}
		if c == nil {
			r.fail(ptr, p.Ref.Pos, p.Ref.Reference, "no parameter %q in components.parameters", name)
			continue
		}
		p.Name, p.In, p.Value, p.Extensions = c.Name, c.In, c.Value, c.Extensions
		if p.Ref.HasValue {
			p.Value = p.Ref.Value
		}
	}
}

func (r *refResolver) actions(as []*Action, base string) {
	for i, a := range as {
		ptr := base + "/" + strconv.Itoa(i)
		if a.Ref == nil {
			r.params(a.Parameters, ptr+"/parameters")
			continue
		}
		typ, name, ok := splitComponentRef(a.Ref.Reference)
		if !ok {
			r.fail(ptr, a.Ref.Pos, a.Ref.Reference, "not a component reference")
			continue
		}
		want, set := "successActions", map[string]*Action(nil)
		if r.d.Components != nil {
			set = r.d.Components.SuccessActions
		}
		if a.Kind == FailureAction {
			want = "failureActions"
			set = nil
			if r.d.Components != nil {
				set = r.d.Components.FailureActions
			}
		}
		if typ != want {
			r.fail(ptr, a.Ref.Pos, a.Ref.Reference, "this list holds %s; reference $components.%s", want, want)
			continue
		}
		c := set[name]
		if c == nil {
			r.fail(ptr, a.Ref.Pos, a.Ref.Reference, "no action %q in components.%s", name, want)
			continue
		}
		a.Name, a.Type, a.WorkflowID, a.StepID = c.Name, c.Type, c.WorkflowID, c.StepID
		a.RetryAfter, a.RetryLimit, a.Criteria, a.Parameters, a.Extensions = c.RetryAfter, c.RetryLimit, c.Criteria, c.Parameters, c.Extensions
	}
}

// ResolvedOperation is the API operation a step calls.
type ResolvedOperation struct {
	// Source is the name of the source description holding the operation.
	Source    string
	Document  *openapi.Document
	Operation *openapi.Operation
}

// ResolveOperation finds the operation step calls through operationId or
// operationPath. operationId may be bare (it must then be unique across
// the OpenAPI sources) or qualified: `$sourceDescriptions.<name>.<id>`.
// operationPath is `{$sourceDescriptions.<name>.url}#<JSON Pointer>`; the
// unbraced form, a source name or the source's url in place of the
// expression, and unescaped slashes in the path are accepted too.
func (b *Bundle) ResolveOperation(step *Step) (*ResolvedOperation, error) {
	if b == nil || step == nil {
		return nil, fmt.Errorf("no step to resolve")
	}
	switch {
	case step.OperationID != "":
		return b.resolveOperationID(step)
	case step.OperationPath != "":
		return b.resolveOperationPath(step)
	}
	return nil, fmt.Errorf("step %q has neither operationId nor operationPath", step.StepID)
}

func (b *Bundle) openAPISource(name, stepID string) (*Source, error) {
	src := b.Sources[name]
	if src == nil {
		if b.Document.SourceDescription(name) == nil {
			return nil, fmt.Errorf("step %q: no source description named %q (sources: %s)", stepID, name, b.sourceNames())
		}
		return nil, fmt.Errorf("step %q: source %q was not loaded", stepID, name)
	}
	if src.Err != nil {
		return nil, fmt.Errorf("step %q: source %q could not be loaded: %w: %w", stepID, name, ErrSourceNotLoaded, src.Err)
	}
	if src.OpenAPI == nil {
		return nil, fmt.Errorf("step %q: source %q is %s, not an OpenAPI description", stepID, name, orUnknown(src.Kind))
	}
	return src, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "of unknown type"
	}
	return "of type " + s
}

func (b *Bundle) sourceNames() string {
	var names []string
	for _, sd := range b.Document.SourceDescriptions {
		names = append(names, sd.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (b *Bundle) resolveOperationID(step *Step) (*ResolvedOperation, error) {
	id := step.OperationID
	if name, opID, ok := splitSourceRef(id); ok {
		src, err := b.openAPISource(name, step.StepID)
		if err != nil {
			return nil, err
		}
		if op := src.OpenAPI.OperationByID(opID); op != nil {
			return &ResolvedOperation{Source: name, Document: src.OpenAPI, Operation: op}, nil
		}
		return nil, fmt.Errorf("step %q: source %q has no operation with operationId %q", step.StepID, name, opID)
	}
	var found []*ResolvedOperation
	var failed []string
	for _, sd := range b.Document.SourceDescriptions {
		src := b.Sources[sd.Name]
		if src == nil || src.OpenAPI == nil {
			if src != nil && src.Err != nil && (src.Kind == SourceOpenAPI || src.Kind == "") {
				failed = append(failed, sd.Name)
			}
			continue
		}
		if op := src.OpenAPI.OperationByID(id); op != nil {
			found = append(found, &ResolvedOperation{Source: sd.Name, Document: src.OpenAPI, Operation: op})
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		var names []string
		for _, f := range found {
			names = append(names, f.Source)
		}
		return nil, fmt.Errorf("step %q: operationId %q is ambiguous: sources %s all define it; write $sourceDescriptions.<name>.%s",
			step.StepID, id, strings.Join(names, ", "), id)
	case len(failed) > 0:
		return nil, fmt.Errorf("step %q: operationId %q not found; source(s) %s could not be loaded: %w", step.StepID, id, strings.Join(failed, ", "), ErrSourceNotLoaded)
	}
	return nil, fmt.Errorf("step %q: no OpenAPI source defines operationId %q", step.StepID, id)
}

func (b *Bundle) resolveOperationPath(step *Step) (*ResolvedOperation, error) {
	op := step.OperationPath
	i := strings.IndexByte(op, '#')
	if i < 0 {
		return nil, fmt.Errorf("step %q: operationPath %q has no '#' fragment; write {$sourceDescriptions.<name>.url}#/paths/<escaped path>/<method>", step.StepID, op)
	}
	prefix, ptr := unbrace(op[:i]), op[i+1:]
	if p, err := url.PathUnescape(ptr); err == nil {
		ptr = p
	}
	name := ""
	switch {
	case strings.HasPrefix(prefix, "$sourceDescriptions."):
		src, rest, _ := strings.Cut(strings.TrimPrefix(prefix, "$sourceDescriptions."), ".")
		if rest != "" && rest != "url" {
			return nil, fmt.Errorf("step %q: operationPath %q: expected $sourceDescriptions.%s.url before '#'", step.StepID, op, src)
		}
		name = src
	case prefix == "":
		// "#/paths/…" alone: only unambiguous with one OpenAPI source.
		for _, sd := range b.Document.SourceDescriptions {
			if s := b.Sources[sd.Name]; s != nil && (s.Kind == SourceOpenAPI) {
				if name != "" {
					return nil, fmt.Errorf("step %q: operationPath %q names no source and there are several; write {$sourceDescriptions.<name>.url}#…", step.StepID, op)
				}
				name = sd.Name
			}
		}
	default:
		for _, sd := range b.Document.SourceDescriptions {
			if sd.Name == prefix || sd.URL == prefix || (b.Sources[sd.Name] != nil && b.Sources[sd.Name].Location == prefix) {
				name = sd.Name
				break
			}
		}
	}
	if name == "" {
		return nil, fmt.Errorf("step %q: operationPath %q: %q names no source description (sources: %s)", step.StepID, op, prefix, b.sourceNames())
	}
	src, err := b.openAPISource(name, step.StepID)
	if err != nil {
		return nil, err
	}
	if o := findByPointer(src.OpenAPI, ptr); o != nil {
		return &ResolvedOperation{Source: name, Document: src.OpenAPI, Operation: o}, nil
	}
	return nil, fmt.Errorf("step %q: source %q has no operation at %s", step.StepID, name, ptr)
}

// findByPointer looks an operation up by JSON Pointer, falling back to
// reading "/paths/<path>/<method>" with the path unescaped or not, since
// published documents write both.
func findByPointer(d *openapi.Document, ptr string) *openapi.Operation {
	if o := d.OperationByPointer(ptr); o != nil {
		return o
	}
	rest, ok := strings.CutPrefix(ptr, "/paths/")
	if !ok {
		return nil
	}
	j := strings.LastIndexByte(rest, '/')
	if j < 0 {
		return nil
	}
	path, method := unescapePtr(rest[:j]), strings.ToUpper(rest[j+1:])
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return d.OperationByMethodPath(method, path)
}

// ResolveWorkflow finds the workflow a workflowId field names: a workflow of
// this document, or `$sourceDescriptions.<name>.<workflowId>` in an Arazzo
// source. It returns the bundle the workflow belongs to, since its steps
// resolve their operations against that bundle's sources.
func (b *Bundle) ResolveWorkflow(ref string) (*Bundle, *Workflow, error) {
	if b == nil || b.Document == nil {
		return nil, nil, fmt.Errorf("no document")
	}
	if name, id, ok := splitSourceRef(ref); ok {
		src := b.Sources[name]
		switch {
		case src == nil && b.Document.SourceDescription(name) == nil:
			return nil, nil, fmt.Errorf("workflow %q: no source description named %q (sources: %s)", ref, name, b.sourceNames())
		case src == nil:
			return nil, nil, fmt.Errorf("workflow %q: source %q was not loaded", ref, name)
		case src.Err != nil:
			return nil, nil, fmt.Errorf("workflow %q: source %q could not be loaded: %w: %w", ref, name, ErrSourceNotLoaded, src.Err)
		case src.Arazzo == nil:
			return nil, nil, fmt.Errorf("workflow %q: source %q is %s, not an Arazzo document", ref, name, orUnknown(src.Kind))
		}
		if w := src.Arazzo.Document.Workflow(id); w != nil {
			return src.Arazzo, w, nil
		}
		return nil, nil, fmt.Errorf("workflow %q: source %q has no workflow %q", ref, name, id)
	}
	id := unbrace(ref)
	if w := b.Document.Workflow(id); w != nil {
		return b, w, nil
	}
	return nil, nil, fmt.Errorf("no workflow %q in %s", id, b.Document.Location)
}

// sortedKeys returns m's keys in order, so that diagnostics come out in a
// stable order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
