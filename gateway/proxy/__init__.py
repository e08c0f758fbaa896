"""The request path, one module per step: the doors' request fields, the books, governance before
the call, the answer and stream filtering, the event stream."""
