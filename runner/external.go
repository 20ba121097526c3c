package runner

import "strings"

// externalWorkflowValue answers $sourceDescriptions.<source>.<workflowId>.
// outputs.<name> (and .inputs.<name>): a value of a workflow of another
// Arazzo document that has run in this session, as a dependsOn
// prerequisite or a workflowId step. Arazzo 1.x names such workflows
// $sourceDescriptions.<source>.<workflowId> but defines no expression for
// their outputs ($workflows.<id> is the current document's); published
// workflows use this form, so it is accepted as an extension (see
// docs/semantics.md). handled is false when ref is not of this form.
func (s *scope) externalWorkflowValue(source, field string) (v any, found, handled bool) {
	src := s.run.wf.bundle.Sources[source] // the sources of this workflow's document
	if src == nil || src.Arazzo == nil {
		return nil, false, false
	}
	for _, kind := range [...]string{".outputs.", ".inputs."} {
		id, name, ok := strings.Cut(field, kind)
		if !ok || name == "" || src.Arazzo.Document.Workflow(id) == nil {
			continue
		}
		res := s.run.sess.finishedWorkflow(src.Arazzo.Document.Location, id)
		if res == nil {
			return nil, false, true
		}
		m := res.Outputs
		if kind == ".inputs." {
			m = res.Inputs
		}
		v, found = m[name]
		return v, found, true
	}
	return nil, false, false
}
