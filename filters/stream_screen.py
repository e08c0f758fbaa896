"""The post-call step of a streamed answer: each choice's content (its refusal, its reasoning) and
each tool call's arguments pass through a hold-back buffer (filters.stream_buffer) so nothing
reaches the client before the filters scanned it. A Responses reasoning item, which comes whole,
goes on once its summaries were scanned whole; an Anthropic thinking block, which comes whole too,
goes on unchanged once its text was, or not at all if the filters would change it (its provider
refuses a changed one). A block ends that choice with `finish_reason: "content_filter"`. Only a
chunk's documented fields go on (`gateway.core.chat_view`).

At the end the whole answer is checked once more (models that judge a text as a whole, such as
toxicity, may see more there than in windows) and a blocked or flagged answer becomes a review
item, whose id the last filtered chunk carries as `gateway_review_id`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson

from filters.answer import summary_field, thinking_block_of, thinking_field
from filters.base import FilterContext, strongest
from filters.decision import TextSlot
from filters.review_prompt import prompt_record
from filters.screening import Screening
from filters.stream_buffer import StreamGuard, stream_guard
from gateway.core.chat_view import (
    REASONING_FIELD,
    REVIEW_ID_FIELD,
    THINKING_FIELD,
    relayed_choice,
    relayed_completion,
    relayed_frame,
)
from gateway.core.text_runs import TextRuns
from gateway.core.types import Action, Principal, Verdict

CONTENT = "content"
REASONING = "reasoning_content"
TEXT_FIELDS = (CONTENT, "refusal", REASONING)
ANSWER_FIELDS = (CONTENT, "refusal", "tool_calls")  # the answer proper, which ends the reasoning
Slot = tuple[int, str]  # (choice index, field)


def _arguments_field(position: int) -> str:
    return f"tool_calls.{position}.function.arguments"


class StreamScreen:
    def __init__(
        self,
        screening: Screening,
        principal: Principal,
        *,
        request_id: str,
        model: str,
        prompt_ref: str | None,
        withhold_flags: bool = False,
        messages: Any = None,
    ) -> None:
        self._screening = screening
        self._principal = principal
        self._request_id = request_id
        self._model = model
        self._prompt_ref = prompt_ref
        self._messages = messages  # the request's, kept with a review item as its prompt
        self._context = FilterContext(
            team=principal.team_name, model=model, request_id=request_id, withhold_flags=withhold_flags
        )
        self._guards: dict[Slot, StreamGuard] = {}
        self._received: dict[Slot, list[str]] = defaultdict(list)  # for the review item
        self._sent: dict[Slot, list[str]] = defaultdict(list)
        self._tools: dict[tuple[int, int], dict[str, Any]] = {}  # id, type and name of each tool call
        self._thoughts: dict[int, int] = defaultdict(int)  # reasoning items seen, per choice
        self._thinking_blocks: dict[int, int] = defaultdict(int)  # thinking blocks seen, per choice
        self._reasoning: set[int] = set()  # choices whose reasoning text has not ended yet
        self._finish: dict[int, str] = {}
        self._blocked: set[int] = set()
        self._frame: dict[str, Any] = {}  # id, object, created, model of the stream's chunks
        self._usage_chunks: list[bytes] = []
        self._runs = TextRuns()
        self.action = Action.ALLOW
        self.verdicts: list[Verdict] = []
        self.review_id: str | None = None
        self._active = screening.pipeline.is_active(principal.team_name)

    def _guard(self, slot: Slot) -> StreamGuard:
        guard = self._guards.get(slot)
        if guard is None:
            context = FilterContext(
                team=self._context.team,
                model=self._model,
                request_id=self._request_id,
                field=slot[1],
                choice_index=slot[0],
                withhold_flags=self._context.withhold_flags,
            )
            guard = self._guards[slot] = stream_guard(self._screening.pipeline, context)
        return guard

    async def _feed(self, slot: Slot, text: str) -> str | None:
        """Feed one piece; the text to send now, or None when the choice was just blocked."""
        self._gather(slot, text)
        step = await self._guard(slot).step()
        if step.blocked:
            self._blocked.add(slot[0])
            return None
        self._sent[slot].append(step.released)
        return step.released

    async def _flush(self, index: int) -> dict[str, str] | None:
        """Release what the choice's guards still hold; None when that turned into a block."""
        rest: dict[str, str] = {}
        for slot, guard in self._guards.items():
            if slot[0] != index:
                continue
            step = await guard.finish()
            if step.blocked:
                self._blocked.add(index)
                return None
            self._sent[slot].append(step.released)
            rest[slot[1]] = step.released
        return rest

    async def process(self, payloads: list[bytes]) -> list[bytes]:
        """Filter one network read's chunks; returns the payloads to send, in order. Plain text
        deltas of a read are gathered per slot and scanned once: a read that brought many chunks
        costs one scan, and a paced model (one chunk per read) still gets one event per chunk. A
        run of the first answer's text comes joined, its chunks not parsed one by one (TextRuns)."""
        if not self._active:
            return payloads
        out: list[bytes] = []
        gathered: dict[Slot, dict[str, Any]] = {}  # slot -> a gathered chunk, for its frame
        for chunk, run in self._runs(payloads):
            choices = chunk.get("choices")
            if not isinstance(choices, list) or not choices:
                self._usage_chunks.append(orjson.dumps(relayed_completion(chunk)))  # last, after what is held
                continue
            self._frame = {key: chunk.get(key) for key in ("id", "object", "created", "model")}
            slot = (0, CONTENT) if run is not None else _plain_text_slot(choices)
            if slot is not None:
                if slot[0] in self._reasoning and slot[1] != REASONING:
                    out += await self._release(gathered) + await self._reasoning_ended(slot[0], chunk)
                if slot[0] not in self._blocked:
                    self._gather(slot, run if run is not None else choices[0]["delta"][slot[1]])
                    gathered[slot] = chunk
                continue
            out += await self._release(gathered)
            kept = [c for c in [await self._choice(choice) for choice in choices] if c is not None]
            if kept:
                out.append(orjson.dumps({**relayed_frame(chunk), "choices": kept}))
        return out + await self._release(gathered)

    def _gather(self, slot: Slot, text: str) -> None:
        self._received[slot].append(text)
        self._guard(slot).append(text)
        if slot[1] == REASONING:
            self._reasoning.add(slot[0])

    async def _end_reasoning(self, index: int) -> str | None:
        """The rest of a choice's reasoning text, released as its answer begins: the APIs that
        write reasoning as an item or a block of its own cannot add to it later. None when that
        turned into a block."""
        self._reasoning.discard(index)
        step = await self._guard((index, REASONING)).finish()
        if step.blocked:
            self._blocked.add(index)
            return None
        self._sent[(index, REASONING)].append(step.released)
        return step.released

    async def _reasoning_ended(self, index: int, chunk: dict[str, Any]) -> list[bytes]:
        """`_end_reasoning` as a chunk of its own, before the answer's first text."""
        rest = await self._end_reasoning(index)
        if rest is None:
            choice = self._withheld(index)
        elif rest:
            choice = {"index": index, "delta": {REASONING: rest}, "logprobs": None, "finish_reason": None}
        else:
            return []
        return [orjson.dumps({**relayed_frame(chunk), "choices": [choice]})]

    async def _release(self, gathered: dict[Slot, dict[str, Any]]) -> list[bytes]:
        """One scan per gathered slot; a chunk for each that released text (or was just blocked)."""
        out = []
        for slot, chunk in gathered.items():
            index, field = slot
            if index in self._blocked:
                continue
            step = await self._guard(slot).step()
            if step.blocked:
                self._blocked.add(index)
                choice = self._withheld(index)
            elif step.released:
                self._sent[slot].append(step.released)
                choice = {"index": index, "delta": {field: step.released}, "logprobs": None, "finish_reason": None}
            else:
                continue
            out.append(orjson.dumps({**relayed_frame(chunk), "choices": [choice]}))
        gathered.clear()
        return out

    async def _choice(self, choice: dict[str, Any]) -> dict[str, Any] | None:
        index = int(choice.get("index", 0))
        if index in self._blocked:
            return None
        delta = dict(choice.get("delta") or {})
        for field in TEXT_FIELDS:
            if isinstance(delta.get(field), str) and delta[field]:
                released = await self._feed((index, field), delta[field])
                if released is None:
                    return self._withheld(index)
                delta[field] = released
        calls = []
        for call in delta.get("tool_calls") or []:
            call = {**call, "function": dict(call.get("function") or {})}
            position = int(call.get("index", 0))
            meta = self._tools.setdefault((index, position), {"id": None, "type": "function", "name": ""})
            meta["id"] = call.get("id") or meta["id"]
            meta["name"] += call["function"].get("name") or ""
            arguments = call["function"].get("arguments")
            if isinstance(arguments, str) and arguments:
                released = await self._feed((index, _arguments_field(position)), arguments)
                if released is None:
                    return self._withheld(index)
                call["function"]["arguments"] = released
            calls.append(call)
        if calls:
            delta["tool_calls"] = calls
        if index in self._reasoning and any(delta.get(field) for field in ANSWER_FIELDS):
            reasoned = await self._end_reasoning(index)
            if reasoned is None:
                return self._withheld(index)
            if reasoned:
                delta[REASONING] = (delta.get(REASONING) or "") + reasoned
        thoughts = []
        for item in delta.get(REASONING_FIELD) or []:
            screened = await self._screened_reasoning(index, item)
            if screened is None:
                return self._withheld(index)
            thoughts.append(screened)
        if thoughts:
            delta[REASONING_FIELD] = thoughts
        if THINKING_FIELD in delta:
            blocks = []
            for block in delta[THINKING_FIELD] or []:
                relayed = await self._screened_thinking(index, block)
                if index in self._blocked:
                    return self._withheld(index)
                if relayed is not None:
                    blocks.append(relayed)
            delta[THINKING_FIELD] = blocks
        finish = choice.get("finish_reason")
        if finish is not None:
            self._finish[index] = finish
            rest = await self._flush(index)
            if rest is None:
                return self._withheld(index)
            self._merge(delta, rest)
        if finish is None and not _meaningful(delta):
            return None
        return relayed_choice({**choice, "delta": delta})

    async def _screened_reasoning(self, index: int, item: dict[str, Any]) -> dict[str, Any] | None:
        """A reasoning item with each summary scanned whole (the item comes whole, after them);
        None when that blocked the choice."""
        summary = []
        for part_index, part in enumerate(item.get("summary") or []):
            slot = (index, summary_field(self._thoughts[index], part_index))
            self._gather(slot, part["text"])
            step = await self._guard(slot).finish()
            if step.blocked:
                self._blocked.add(index)
                return None
            self._sent[slot].append(step.released)
            summary.append({**part, "text": step.released})
        self._thoughts[index] += 1
        return {**item, "summary": summary}

    async def _screened_thinking(self, index: int, block: dict[str, Any]) -> dict[str, Any] | None:
        """A thinking block as it may go on: unchanged if the filters, reading its text whole,
        leave that as it is; else None (and the choice blocked, if they blocked it)."""
        position = self._thinking_blocks[index]
        self._thinking_blocks[index] += 1
        text = block.get("thinking")
        if not text:
            return block
        slot = (index, thinking_field(position))
        self._gather(slot, text)
        step = await self._guard(slot).finish()
        if step.blocked:
            self._blocked.add(index)
            return None
        if step.released != text:
            return None
        self._sent[slot].append(text)
        return block

    def _merge(self, delta: dict[str, Any], rest: dict[str, str]) -> None:
        for field, text in rest.items():
            if not text:
                continue
            if field in TEXT_FIELDS:
                delta[field] = (delta.get(field) or "") + text
                continue
            position = int(field.split(".")[1])
            calls = delta.setdefault("tool_calls", [])
            call = next((c for c in calls if int(c.get("index", 0)) == position), None)
            if call is None:
                call = {"index": position, "function": {"arguments": ""}}
                calls.append(call)
            call["function"]["arguments"] = (call["function"].get("arguments") or "") + text

    def _withheld(self, index: int) -> dict[str, Any]:
        self._finish[index] = "content_filter"
        return {"index": index, "delta": {}, "finish_reason": "content_filter"}

    async def close(self) -> list[bytes]:
        """The upstream stream ended: release what choices without a finish still hold, then decide
        on the whole answer. Returns the chunks to send before `[DONE]`, the usage chunk last."""
        if not self._active:
            return []
        out: list[bytes] = []
        for index in sorted({slot[0] for slot in self._guards} - set(self._finish) - self._blocked):
            rest = await self._flush(index)
            choice = self._withheld(index) if rest is None else {"index": index, "delta": {}, "finish_reason": None}
            if rest:
                self._merge(choice["delta"], rest)
            if choice["finish_reason"] or _meaningful(choice["delta"]):
                out.append(orjson.dumps({**self._frame, "choices": [choice]}))
        await self._decide()
        if self.review_id is not None:
            out.append(orjson.dumps({**self._frame, "choices": [], REVIEW_ID_FIELD: self.review_id}))
        return out + self._usage_chunks  # usage comes last, as OpenAI sends it

    async def _decide(self) -> None:
        slots = [TextSlot(index, field, "".join(pieces)) for (index, field), pieces in sorted(self._received.items())]
        if not slots:
            return
        decision = await self._screening.pipeline.check_answer(slots, self._context)
        guard_actions = [guard.action for guard in self._guards.values()]
        self.action = strongest([decision.action, *guard_actions, *(Action.BLOCK for _ in self._blocked)])
        self.verdicts = self._screening.counted(decision.verdicts())
        if self.action not in (Action.BLOCK, Action.FLAG):
            return
        findings = decision.findings() + decision.errors()
        for (index, field), guard in self._guards.items():
            findings += [{**f.as_record(), "choice": index, "field": field, "streamed": True} for f in guard.findings]
        self.review_id = await self._screening.queue_review(
            self._principal,
            request_id=self._request_id,
            model=self._model,
            action=self.action,
            findings=findings,
            original=self._completion(self._received),
            delivered=self._completion(self._sent),
            streamed=True,
            prompt_ref=self._prompt_ref,
            prompt=prompt_record(self._messages),
        )

    def _completion(self, texts: dict[Slot, list[str]]) -> dict[str, Any]:
        """The streamed answer assembled as a chat completion (what was received, or what was sent)."""
        choices = []
        for index in sorted({slot[0] for slot in texts} | set(self._finish)):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(texts.get((index, CONTENT), [])) or None}
            for field in TEXT_FIELDS[1:]:
                if texts.get((index, field)):
                    message[field] = "".join(texts[(index, field)])
            calls = [
                {
                    "id": meta["id"],
                    "type": meta["type"],
                    "function": {
                        "name": meta["name"],
                        "arguments": "".join(texts.get((index, _arguments_field(p)), [])),
                    },
                }
                for (choice, p), meta in sorted(self._tools.items())
                if choice == index
            ]
            if calls:
                message["tool_calls"] = calls
            thoughts = _summaries(texts, index)
            if thoughts:
                message[REASONING_FIELD] = thoughts
            thinking = _thinking(texts, index)
            if thinking:
                message[THINKING_FIELD] = thinking
            choices.append({"index": index, "message": message, "finish_reason": self._finish.get(index)})
        return {**self._frame, "object": "chat.completion", "choices": choices}


def _summaries(texts: dict[Slot, list[str]], index: int) -> list[dict[str, Any]]:
    """One choice's reasoning items as far as their summaries go, in order."""
    items: dict[int, dict[int, str]] = defaultdict(dict)
    for (choice, field), pieces in texts.items():
        if choice == index and field.startswith(REASONING_FIELD + "."):
            _, item_index, _, part_index, _ = field.split(".")
            items[int(item_index)][int(part_index)] = "".join(pieces)
    return [
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": parts[p]} for p in sorted(parts)]}
        for _, parts in sorted(items.items())
    ]


def _thinking(texts: dict[Slot, list[str]], index: int) -> list[dict[str, Any]]:
    """One choice's thinking blocks with text, in order (a block left out has none sent)."""
    blocks = {
        position: "".join(pieces)
        for (choice, field), pieces in texts.items()
        if choice == index and (position := thinking_block_of(field)) is not None
    }
    return [{"type": "thinking", "thinking": blocks[position]} for position in sorted(blocks) if blocks[position]]


def _plain_text_slot(choices: list[Any]) -> Slot | None:
    """The slot of a chunk that only adds text to one choice's content or refusal (no role, no
    tool call, no finish, no logprobs), which can be gathered with its neighbours; else None."""
    if len(choices) != 1 or not isinstance(choices[0], dict):
        return None
    choice = choices[0]
    delta = choice.get("delta")
    if choice.get("finish_reason") is not None or choice.get("logprobs") is not None or not isinstance(delta, dict):
        return None
    texts = [(name, value) for name, value in delta.items() if value not in (None, "")]
    if len(texts) != 1 or texts[0][0] not in TEXT_FIELDS or not isinstance(texts[0][1], str):
        return None
    return int(choice.get("index", 0)), texts[0][0]


def _meaningful(delta: dict[str, Any]) -> bool:
    """A delta worth sending: a role, tool calls, or some text."""
    return any(value not in (None, "", []) for value in delta.values())
