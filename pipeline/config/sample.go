package config

// Sample is one question with its gold answers, in SQuAD's terms.
type Sample struct {
	ID       string   `json:"id"`
	Title    string   `json:"title,omitempty"`
	Context  string   `json:"context"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	// IsImpossible marks a SQuAD v2 question with no answer in the context;
	// the empty prediction is its correct answer.
	IsImpossible bool `json:"is_impossible,omitempty"`
	// Group is the label of the sample group the sample belongs to (see
	// SampleGroup), "" when the source has none.
	Group string `json:"group,omitempty"`
	// MaxTokens > 0 is the answer length the sample asks for: it replaces
	// params.max_tokens in its request (a generated prompt of a chosen
	// output length).
	MaxTokens int `json:"max_tokens,omitempty"`
}

// Dataset is what a loader returns: the samples selected by the slice, in
// source order, and where they came from.
type Dataset struct {
	Samples []Sample
	// Source is the loader type; Location the path or URL read.
	Source   string
	Location string
	// SHA256 of the file read (or of the canonical rows for hf), hex.
	SHA256 string
	// Revision is a source revision where one exists (hf).
	Revision string
	// Version is the SQuAD version of the data, "v1.1" or "v2.0".
	Version string
	// Total is the number of questions in the source before slicing.
	Total int
}

// Message is one chat message sent to an endpoint.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}
