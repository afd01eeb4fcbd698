/// The OpenAPI 3.1 document of the HTTP API, served at `GET /openapi.json`: the one source of
/// truth for the API contract. A test checks that it documents exactly the served routes, and
/// it validates with `openapi-spec-validator` (PyPI). Keep it in step with the types in `API/`;
/// docs/openapi.json is its committed copy (`trellis serve --print-openapi`).
public enum OpenAPIDocument {
    public static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Trellis",
    "version": "0.1.0",
    "description": "Generative retrieval and constrained generation: entity linking, passage search and constrained generation over one local model, with OpenAI-compatible completions. Every error is JSON: {\"error\": {\"type\", \"message\", \"param\"}}; request bodies are decoded strictly (unknown fields are rejected)."
  },
  "servers": [
    {
      "url": "http://127.0.0.1:8080"
    }
  ],
  "paths": {
    "/health": {
      "get": {
        "summary": "Liveness and what is loaded.",
        "responses": {
          "200": {
            "description": "Up.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Health"
                }
              }
            }
          }
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus text metrics: request counts by endpoint and status, latency histograms, tokens and tokens/s (trellis_generated_tokens_per_second), admission and batch queue depth, and the batcher's statistics (trellis_batched_forward_passes_total, trellis_batched_rows_total, trellis_batch_rows_per_pass, trellis_batch_rows_max, trellis_batched_steps_total, trellis_batch_busy_seconds_total) and the KV cache (trellis_kv_cache_pages_in_use, trellis_kv_cache_pages_allocated, trellis_kv_cache_bytes).",
        "responses": {
          "200": {
            "description": "Prometheus text format 0.0.4.",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document.",
        "responses": {
          "200": {
            "description": "OpenAPI 3.1.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        }
      }
    },
    "/v1/link": {
      "post": {
        "summary": "Entity linking (GENRE-style constrained generation of entity names).",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/LinkRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Success.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/LinkResponse"
                }
              }
            }
          },
          "400": {
            "description": "Malformed JSON, wrong type, unknown field, invalid UTF-8, a value over a bound (the message names it), or a constraint needing a store part that is not loaded (missing_index).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "408": {
            "description": "Over request_timeout_ms; the work was cancelled.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over max_body_bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "description": "max_concurrent_requests busy and max_queued_requests waiting.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "What this endpoint needs is not loaded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/v1/search": {
      "post": {
        "summary": "Passage search: SEAL (FM-index constrained n-grams), BM25, or hybrid.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/SearchRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Success.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SearchResponse"
                }
              }
            }
          },
          "400": {
            "description": "Malformed JSON, wrong type, unknown field, invalid UTF-8, or a value over a bound (the message names it).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "408": {
            "description": "Over request_timeout_ms; the work was cancelled.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over max_body_bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "description": "max_concurrent_requests busy and max_queued_requests waiting.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "503": {
            "description": "What this endpoint needs is not loaded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/v1/generate": {
      "post": {
        "summary": "Constrained generation (keywords, banned words, word counts, choices, KB entities, corpus n-grams).",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/GenerateRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Success.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/GenerateResponse"
                }
              }
            }
          },
          "400": {
            "description": "Malformed JSON, wrong type, unknown field, invalid UTF-8, or a value over a bound (the message names it).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "408": {
            "description": "Over request_timeout_ms; the work was cancelled.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over max_body_bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "description": "max_concurrent_requests busy and max_queued_requests waiting.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "No output can satisfy the constraint.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/v1/completions": {
      "post": {
        "summary": "OpenAI-compatible text completion; Trellis constraints in `trellis`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/CompletionRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Success.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/CompletionResponse"
                }
              },
              "text/event-stream": {
                "schema": {
                  "type": "string",
                  "description": "`data: <JSON chunk>\\n\\n` events, then `data: [DONE]\\n\\n`. An error after the first chunk arrives as a `data: {\"error\": ...}` event."
                }
              }
            }
          },
          "400": {
            "description": "Malformed JSON, wrong type, unknown field, invalid UTF-8, or a value over a bound (the message names it).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "408": {
            "description": "Over request_timeout_ms; the work was cancelled.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over max_body_bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "description": "max_concurrent_requests busy and max_queued_requests waiting.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "No output can satisfy the constraint.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    },
    "/v1/chat/completions": {
      "post": {
        "summary": "OpenAI-compatible chat completion; Trellis constraints in `trellis`.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/ChatCompletionRequest"
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "Success.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ChatCompletionResponse"
                }
              },
              "text/event-stream": {
                "schema": {
                  "type": "string",
                  "description": "`data: <JSON chunk>\\n\\n` events, then `data: [DONE]\\n\\n`. An error after the first chunk arrives as a `data: {\"error\": ...}` event."
                }
              }
            }
          },
          "400": {
            "description": "Malformed JSON, wrong type, unknown field, invalid UTF-8, or a value over a bound (the message names it).",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "408": {
            "description": "Over request_timeout_ms; the work was cancelled.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "413": {
            "description": "Body over max_body_bytes.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "429": {
            "description": "max_concurrent_requests busy and max_queued_requests waiting.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          },
          "422": {
            "description": "No output can satisfy the constraint.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Error"
                }
              }
            }
          }
        }
      }
    }
  },
  "components": {
    "schemas": {
      "Error": {
        "type": "object",
        "properties": {
          "error": {
            "type": "object",
            "properties": {
              "type": {
                "type": "string",
                "description": "Machine-readable kind: invalid_request, unknown_field, limit_exceeded, impossible_constraint, not_supported, missing_index, timeout, overloaded, not_found, method_not_allowed, unavailable, internal_error."
              },
              "message": {
                "type": "string",
                "description": "Names the field or bound and the value."
              },
              "param": {
                "type": "string",
                "description": "Path of the offending field, such as `constraint.keywords[1]`."
              }
            },
            "required": [
              "type",
              "message"
            ]
          }
        },
        "required": [
          "error"
        ]
      },
      "MentionSpan": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "start": {
            "type": "integer",
            "description": "Offset in Unicode scalars (code points)",
            "minimum": 0
          },
          "end": {
            "type": "integer",
            "description": "Exclusive end offset"
          }
        },
        "required": [
          "start",
          "end"
        ]
      },
      "LinkRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "text": {
            "type": "string",
            "description": "Text with mentions marked by `[` `]`, or plain text with `mentions` or `end_to_end`."
          },
          "mentions": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/MentionSpan"
            },
            "description": "Explicit mention spans; the text is then taken literally."
          },
          "end_to_end": {
            "type": "boolean",
            "description": "Find the mentions in plain text and link them in one pass (GENRE's copy-the-input machine: mentions are spans whose surface the mention table knows). Each found mention has its `entity` (null for NIL) and a `confidence`."
          },
          "top_k": {
            "type": "integer",
            "description": "Entities per mention (default 5, bound max_top_k).",
            "minimum": 1
          },
          "beam": {
            "type": "integer",
            "description": "Beam width (default 5, bound max_beam).",
            "minimum": 1
          },
          "candidates_only": {
            "type": "boolean",
            "description": "Only candidates from the mention table."
          },
          "allow_nil": {
            "type": "boolean",
            "description": "Let a mention link to NIL (no entity in the KB): candidate tries get a reserved NIL name; a NIL answer is reported as `entity: null`."
          }
        },
        "required": [
          "text"
        ]
      },
      "LinkedEntity": {
        "type": "object",
        "properties": {
          "key": {
            "type": "string",
            "description": "Stable key (Wikidata id or title)."
          },
          "name": {
            "type": "string"
          },
          "score": {
            "type": "number",
            "description": "Log-score, higher is better."
          },
          "description": {
            "type": "string"
          }
        },
        "required": [
          "key",
          "name",
          "score"
        ]
      },
      "LinkedMention": {
        "type": "object",
        "properties": {
          "start": {
            "type": "integer"
          },
          "end": {
            "type": "integer"
          },
          "surface": {
            "type": "string"
          },
          "entity": {
            "description": "The answer: the best entity, or null for NIL (no entity).",
            "oneOf": [
              {
                "$ref": "#/components/schemas/LinkedEntity"
              },
              {
                "type": "null"
              }
            ]
          },
          "entities": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/LinkedEntity"
            },
            "description": "Ranked, NIL excluded; empty when nothing could be linked."
          },
          "confidence": {
            "type": "number",
            "description": "End-to-end only: share (0-1) of the beam's probability that agrees on this span and entity."
          }
        },
        "required": [
          "start",
          "end",
          "surface",
          "entity",
          "entities"
        ]
      },
      "LinkResponse": {
        "type": "object",
        "properties": {
          "text": {
            "type": "string",
            "description": "The text the offsets refer to (markers removed)."
          },
          "mentions": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/LinkedMention"
            }
          }
        },
        "required": [
          "text",
          "mentions"
        ]
      },
      "SearchRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "query": {
            "type": "string"
          },
          "mode": {
            "type": "string",
            "enum": [
              "seal",
              "bm25",
              "hybrid"
            ],
            "description": "Default hybrid."
          },
          "top_k": {
            "type": "integer",
            "description": "Passages (default 10, bound max_top_k).",
            "minimum": 1
          }
        },
        "required": [
          "query"
        ]
      },
      "MatchedNgram": {
        "type": "object",
        "properties": {
          "text": {
            "type": "string"
          },
          "score": {
            "type": "number"
          }
        },
        "required": [
          "text",
          "score"
        ]
      },
      "SearchHit": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "text": {
            "type": "string"
          },
          "score": {
            "type": "number"
          },
          "ngrams": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/MatchedNgram"
            },
            "description": "Matched n-grams (seal, hybrid)."
          }
        },
        "required": [
          "id",
          "text",
          "score"
        ]
      },
      "SearchResponse": {
        "type": "object",
        "properties": {
          "mode": {
            "type": "string",
            "enum": [
              "seal",
              "bm25",
              "hybrid"
            ]
          },
          "results": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/SearchHit"
            }
          }
        },
        "required": [
          "mode",
          "results"
        ]
      },
      "Keyword": {
        "description": "One keyword: a word, or a list of alternatives (such as inflections), one of which must appear.",
        "oneOf": [
          {
            "type": "string"
          },
          {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        ]
      },
      "Constraint": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "keywords": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Keyword"
            },
            "description": "Every keyword must appear (in one of its alternatives)."
          },
          "banned_words": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "Words that must not appear."
          },
          "min_words": {
            "type": "integer",
            "minimum": 0
          },
          "max_words": {
            "type": "integer",
            "minimum": 1
          },
          "choices": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "The output is exactly one of these (decoded through a per-request trie over the choices' tokens). Choices longer than max_tokens or containing a banned word are dropped; none left is a 422."
          },
          "kb_entity": {
            "type": "boolean",
            "description": "The output is one entity name (or alias) of the knowledge base, decoded through the store's name trie. Needs a store with entities (else 400 missing_index). A name longer than max_tokens ends with finish_reason length and constraint_satisfied false."
          },
          "corpus_ngram": {
            "oneOf": [
              {
                "type": "boolean"
              },
              {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                  "max_tokens": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Longest n-gram in tokens (also bounded by the request's max_tokens)."
                  }
                }
              }
            ],
            "description": "The output is a token n-gram that occurs in the passage corpus (FM-index constraint). Needs a store with passages (else 400 missing_index)."
          },
          "ordered": {
            "type": "boolean",
            "description": "The keywords must occur in the given order."
          },
          "then": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Constraint"
            },
            "description": "The output splits into consecutive pieces, piece i satisfying part i (parts take keywords, banned_words, min_words, max_words, ordered, regex, json_schema and then; not choices, kb_entity or corpus_ngram). A piece boundary counts as a word boundary."
          },
          "regex": {
            "type": "string",
            "description": "The whole output matches this regular expression: literals, ., classes, \\d \\w \\s, groups, |, * + ? {n,m} (greedy); no backreferences or lookaround. A syntax error is a 400 naming the offset."
          },
          "json_schema": {
            "description": "The output is compact JSON valid under this JSON schema: type, enum, const, properties + required (written in the order of required, then optional ones by name), items, minItems/maxItems, minLength/maxLength/pattern, anyOf/oneOf, local $ref. Unsupported keywords are a 400."
          }
        },
        "description": "All present parts must hold. At most one of choices, kb_entity, corpus_ngram; these combine with banned_words (choices only) and max_tokens, not yet with keywords, word counts, regex or json_schema (400 not_supported). Unsatisfiable specs are answered with 422."
      },
      "GenerateRequest": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "prompt": {
            "type": "string"
          },
          "chat": {
            "type": "boolean",
            "description": "Wrap the prompt as one user turn of the chat template."
          },
          "max_tokens": {
            "type": "integer",
            "description": "Default 64, bound max_new_tokens.",
            "minimum": 1
          },
          "temperature": {
            "type": "number",
            "description": "0 (default) is greedy; up to 2.",
            "minimum": 0,
            "maximum": 2
          },
          "top_p": {
            "type": "number",
            "description": "In (0, 1], default 1.",
            "exclusiveMinimum": 0,
            "maximum": 1
          },
          "top_k": {
            "type": "integer",
            "description": "0 (default) is no cut.",
            "minimum": 0
          },
          "seed": {
            "type": "integer",
            "minimum": 0
          },
          "beam": {
            "type": "integer",
            "description": "Beam width, default 1, bound max_beam.",
            "minimum": 1
          },
          "stop": {
            "type": "array",
            "items": {
              "type": "string"
            },
            "description": "Stop before any of these."
          },
          "constraint": {
            "$ref": "#/components/schemas/Constraint"
          }
        },
        "required": [
          "prompt"
        ]
      },
      "Usage": {
        "type": "object",
        "properties": {
          "prompt_tokens": {
            "type": "integer"
          },
          "completion_tokens": {
            "type": "integer"
          },
          "total_tokens": {
            "type": "integer"
          }
        },
        "required": [
          "prompt_tokens",
          "completion_tokens",
          "total_tokens"
        ]
      },
      "GenerateResponse": {
        "type": "object",
        "properties": {
          "text": {
            "type": "string"
          },
          "finish_reason": {
            "type": "string",
            "enum": [
              "stop",
              "length"
            ]
          },
          "constraint_satisfied": {
            "type": "boolean",
            "description": "Absent without a constraint."
          },
          "usage": {
            "$ref": "#/components/schemas/Usage"
          }
        },
        "required": [
          "text",
          "finish_reason",
          "usage"
        ]
      },
      "ChatMessage": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "role": {
            "type": "string",
            "enum": [
              "system",
              "user",
              "assistant"
            ]
          },
          "content": {
            "type": "string"
          },
          "name": {
            "type": "string"
          }
        },
        "required": [
          "role",
          "content"
        ]
      },
      "TrellisExtension": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "constraint": {
            "$ref": "#/components/schemas/Constraint"
          },
          "top_k": {
            "type": "integer",
            "minimum": 0
          },
          "beam": {
            "type": "integer",
            "minimum": 1
          }
        },
        "description": "Trellis options inside OpenAI requests."
      },
      "StreamOptions": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "include_usage": {
            "type": "boolean",
            "description": "Send a last chunk with usage and no choices."
          }
        }
      },
      "ResponseFormat": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "type": {
            "type": "string",
            "enum": [
              "text",
              "json_object",
              "json_schema"
            ],
            "description": "`json_object`: the reply is a JSON object (values nested at most two deep); `json_schema`: the reply is JSON valid under `json_schema.schema` (see ConstraintSpec.json_schema). Not combinable with trellis.constraint."
          },
          "json_schema": {
            "type": "object",
            "description": "OpenAI's wrapper: {\"name\": ..., \"schema\": {...}, \"strict\": true}; `schema` is required with type json_schema."
          }
        },
        "required": [
          "type"
        ]
      },
      "OpenAISamplingFields": {
        "type": "object",
        "description": "Fields common to the two OpenAI-compatible requests (each request adds its own and rejects any other).",
        "properties": {
          "model": {
            "type": "string",
            "description": "Must be empty or the served model's name."
          },
          "temperature": {
            "type": "number",
            "description": "Default 1.",
            "minimum": 0,
            "maximum": 2
          },
          "top_p": {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": 1
          },
          "n": {
            "type": "integer",
            "description": "Only 1.",
            "minimum": 1,
            "maximum": 1
          },
          "stream": {
            "type": "boolean",
            "description": "Server-sent events."
          },
          "stream_options": {
            "$ref": "#/components/schemas/StreamOptions"
          },
          "stop": {
            "oneOf": [
              {
                "type": "string"
              },
              {
                "type": "array",
                "items": {
                  "type": "string"
                }
              }
            ]
          },
          "seed": {
            "type": "integer",
            "minimum": 0
          },
          "user": {
            "type": "string",
            "description": "Ignored."
          },
          "frequency_penalty": {
            "type": "number",
            "description": "Only 0."
          },
          "presence_penalty": {
            "type": "number",
            "description": "Only 0."
          },
          "trellis": {
            "$ref": "#/components/schemas/TrellisExtension"
          }
        }
      },
      "CompletionRequest": {
        "type": "object",
        "allOf": [
          {
            "$ref": "#/components/schemas/OpenAISamplingFields"
          }
        ],
        "properties": {
          "prompt": {
            "type": "string"
          },
          "max_tokens": {
            "type": "integer",
            "description": "Default 16, bound max_new_tokens.",
            "minimum": 1
          }
        },
        "required": [
          "prompt"
        ],
        "unevaluatedProperties": false
      },
      "ChatCompletionRequest": {
        "type": "object",
        "allOf": [
          {
            "$ref": "#/components/schemas/OpenAISamplingFields"
          }
        ],
        "properties": {
          "messages": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ChatMessage"
            }
          },
          "max_tokens": {
            "type": "integer",
            "minimum": 1
          },
          "max_completion_tokens": {
            "type": "integer",
            "description": "Default min(256, max_new_tokens).",
            "minimum": 1
          },
          "response_format": {
            "$ref": "#/components/schemas/ResponseFormat"
          }
        },
        "required": [
          "messages"
        ],
        "unevaluatedProperties": false
      },
      "CompletionChoice": {
        "type": "object",
        "properties": {
          "text": {
            "type": "string"
          },
          "index": {
            "type": "integer"
          },
          "logprobs": {
            "type": "null"
          },
          "finish_reason": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "stop",
              "length",
              null
            ]
          }
        },
        "required": [
          "text",
          "index",
          "finish_reason"
        ]
      },
      "CompletionResponse": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "object": {
            "const": "text_completion"
          },
          "created": {
            "type": "integer"
          },
          "model": {
            "type": "string"
          },
          "choices": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/CompletionChoice"
            }
          },
          "usage": {
            "$ref": "#/components/schemas/Usage"
          }
        },
        "required": [
          "id",
          "object",
          "created",
          "model",
          "choices"
        ],
        "description": "A whole completion, or with stream one SSE chunk (`data: {...}`), the stream ending with `data: [DONE]`."
      },
      "ChatDelta": {
        "type": "object",
        "properties": {
          "role": {
            "type": "string"
          },
          "content": {
            "type": "string"
          }
        }
      },
      "ChatChoice": {
        "type": "object",
        "properties": {
          "index": {
            "type": "integer"
          },
          "message": {
            "$ref": "#/components/schemas/ChatDelta"
          },
          "delta": {
            "$ref": "#/components/schemas/ChatDelta"
          },
          "finish_reason": {
            "type": [
              "string",
              "null"
            ],
            "enum": [
              "stop",
              "length",
              null
            ]
          }
        },
        "required": [
          "index",
          "finish_reason"
        ]
      },
      "ChatCompletionResponse": {
        "type": "object",
        "properties": {
          "id": {
            "type": "string"
          },
          "object": {
            "type": "string",
            "enum": [
              "chat.completion",
              "chat.completion.chunk"
            ]
          },
          "created": {
            "type": "integer"
          },
          "model": {
            "type": "string"
          },
          "choices": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ChatChoice"
            }
          },
          "usage": {
            "$ref": "#/components/schemas/Usage"
          }
        },
        "required": [
          "id",
          "object",
          "created",
          "model",
          "choices"
        ],
        "description": "A whole chat completion (`message`), or with stream one SSE chunk (`delta`), the stream ending with `data: [DONE]`."
      },
      "Health": {
        "type": "object",
        "properties": {
          "status": {
            "type": "string"
          },
          "model": {
            "type": "string"
          },
          "context_length": {
            "type": "integer"
          },
          "endpoints": {
            "type": "object",
            "additionalProperties": {
              "type": "boolean"
            }
          },
          "in_flight": {
            "type": "integer"
          },
          "queued": {
            "type": "integer"
          }
        },
        "required": [
          "status",
          "model",
          "context_length",
          "endpoints",
          "in_flight",
          "queued"
        ]
      }
    }
  }
}
"""#
}
