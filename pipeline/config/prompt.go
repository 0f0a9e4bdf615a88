package config

import (
	"fmt"
	"strings"
	"text/template"
)

// PromptRenderer renders the experiment's prompt templates for a sample.
type PromptRenderer struct {
	system, user *template.Template
}

// NewPromptRenderer parses the prompt templates; a parse error is a
// configuration error.
func NewPromptRenderer(p PromptSpec) (*PromptRenderer, error) {
	r := &PromptRenderer{}
	var err error
	if p.System != "" {
		if r.system, err = template.New("prompt.system").Option("missingkey=error").Parse(p.System); err != nil {
			return nil, fmt.Errorf("prompt.system: %w", err)
		}
	}
	user := p.User
	if user == "" {
		user = DefaultUserPrompt
	}
	if r.user, err = template.New("prompt.user").Option("missingkey=error").Parse(user); err != nil {
		return nil, fmt.Errorf("prompt.user: %w", err)
	}
	return r, nil
}

// promptData is what a prompt template sees.
type promptData struct {
	ID, Title, Context, Question string
}

// Render returns the chat messages for s: an optional system message and
// one user message.
func (r *PromptRenderer) Render(s *Sample) ([]Message, error) {
	d := promptData{ID: s.ID, Title: s.Title, Context: s.Context, Question: s.Question}
	var msgs []Message
	var b strings.Builder
	if r.system != nil {
		if err := r.system.Execute(&b, d); err != nil {
			return nil, fmt.Errorf("prompt.system: %w", err)
		}
		msgs = append(msgs, Message{Role: "system", Content: b.String()})
		b.Reset()
	}
	if err := r.user.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("prompt.user: %w", err)
	}
	return append(msgs, Message{Role: "user", Content: b.String()}), nil
}
