#!/usr/bin/env python3
"""Tokenizer fixture for DePT.NET's SentencePiece (T5) tokenizer, checked against Hugging Face transformers.

Trains a tiny unigram SentencePiece model with T5's special-token layout (pad 0, eos 1, unk 2, no bos) on an English
corpus embedded below, saves it as spiece.model, and writes expected.json: for about thirty test strings, the ids
and decoded texts that sentencepiece itself and transformers' T5 tokenizers give. The C# tests load the same
spiece.model and compare (tests/DePT.Tests/Tokenizers/SentencePieceFixtureTests.cs).

  <out>/spiece.model    the trained model (the file a Hugging Face T5 folder carries)
  <out>/expected.json   format "dept-tokenizer-fixture", version 1 (described in write_expected below)

The reference ("reference_ids") is what T5's own pipeline computes: sentencepiece's encoding of the text with
</s> appended, where special-token strings in the text (<pad>, </s>, <unk>, <extra_id_N>) are cut out first and
become their ids, as transformers does for added tokens. Every Hugging Face tokenizer that loads is run too, and
every disagreement with the reference is printed and stored. Training is single-threaded on a fixed corpus, so
two runs write identical files (the script trains twice and checks that).

Usage: python3 tools/reference/make_tokenizer_fixture.py [--out tests/DePT.Tests/Fixtures/tokenizer/t5]
Needs sentencepiece and transformers (with tokenizers); no network.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

# Everything is local: never ask the hub for tokenizer_config.json and friends.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import sentencepiece as spm  # noqa: E402

FORMAT = "dept-tokenizer-fixture"
FORMAT_VERSION = 1
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "tests" / "DePT.Tests" / "Fixtures" / "tokenizer" / "t5"

VOCAB_SIZE = 600
EXTRA_IDS = 100  # T5Tokenizer's default: <extra_id_0> is the last id, VOCAB_SIZE + EXTRA_IDS - 1
PAD_ID, EOS_ID, UNK_ID = 0, 1, 2
SPECIAL_PIECES = {"<pad>": PAD_ID, "</s>": EOS_ID, "<unk>": UNK_ID}
TRUNCATION_MAX_LENGTH = 8  # one extra case is encoded with truncation to this length, EOS kept

# Handwritten sentences: plain prose, questions, numbers, prices, dates, abbreviations, quotes, accents, a few
# capitalised headlines and lists. They only have to give the unigram trainer varied, realistic English.
SENTENCES = [
    "The morning train to the coast was late again, so we waited on the platform with our coffee.",
    "She said the meeting would start at 9:15, but nobody arrived before half past nine.",
    "Is this the right way to the museum, or should we turn left at the bakery?",
    "Our team finished the project two weeks early and under budget.",
    "The recipe calls for 250 grams of flour, 3 eggs and a pinch of salt.",
    "He bought a used bicycle for $120 and spent another $35 on a new chain.",
    "In 1969, astronauts walked on the Moon for the first time.",
    "Please send the report by Friday, 14 March, at the latest.",
    "I can't believe how quickly the summer went by!",
    "The film was charming, funny and surprisingly moving.",
    "The plot was predictable and the acting felt wooden.",
    "What a waste of two hours; I want my money back.",
    "A gentle, thoughtful story about friendship and growing older.",
    "The soundtrack is wonderful, although the ending drags a little.",
    "Dr. Patel and Mr. Jones met at the hospital on Tuesday.",
    "The U.S. economy grew by 2.1% in the last quarter, according to the report.",
    "Temperatures will fall to -5 degrees tonight, with snow expected by morning.",
    "Our office is on the 3rd floor of building B, room 304.",
    "The café near the station serves excellent croissants and strong espresso.",
    "We spent a week in Zürich and then took the train to Genève.",
    "Her résumé lists three languages: English, French and Portuguese.",
    "The naïve hero trusts everyone, which is both his charm and his weakness.",
    "A jalapeño pizza and a piña colada, please.",
    "The crème brûlée was the best dessert I have had all year.",
    "São Paulo, Málaga and Kraków are on our list for next spring.",
    "Every student must submit an essay of at least 1,500 words.",
    "The library opens at 8 a.m. and closes at 10 p.m. on weekdays.",
    "Why do cats always sit on the one piece of paper you need?",
    "The quick brown fox jumps over the lazy dog.",
    "Pack my box with five dozen liquor jugs.",
    "How vexingly quick daft zebras jump!",
    "Sphinx of black quartz, judge my vow.",
    "The new phone costs 899 euros, which is 100 euros more than last year's model.",
    "Call me at 555-0142 or send an email to info@example.com.",
    "Visit www.example.org/docs for the full documentation.",
    "The password must contain at least 8 characters, including 1 digit.",
    "He scored 27 points in the first half and 31 in the second.",
    "The population of the town was 12,408 in the 2011 census.",
    "She ran the marathon in 3 hours, 42 minutes and 10 seconds.",
    "The bridge is 1.2 kilometres long and 45 metres high.",
    "BREAKING NEWS: Storm Closes Schools Across The Region",
    "Top 10 Tips For Better Sleep",
    "WARNING: Do not open this door while the machine is running.",
    "The CEO of ACME Corp. announced record profits on Monday.",
    "NASA and ESA will launch a joint mission in 2030.",
    "I think, therefore I am.",
    "To be, or not to be: that is the question.",
    "\"Where are you going?\" she asked.",
    "\"Nowhere,\" he replied, \"just out for a walk.\"",
    "It's not what you say; it's how you say it.",
    "They're sure we'll win, but I'm not so certain.",
    "You shouldn't have done that, and you know it.",
    "The children's books are on the shelf by the window.",
    "My parents' house has a big garden with apple trees.",
    "Rain, rain, go away; come again another day.",
    "First, preheat the oven; second, grease the pan; third, mix the batter.",
    "The results (see Table 2) show a clear improvement.",
    "Items: apples, pears, plums, cherries - and a melon.",
    "The ratio was roughly 3:1 in favour of the proposal.",
    "She is a well-known author of short stories.",
    "This is a state-of-the-art, energy-efficient building.",
    "The movie is a two-hour, slow-burning thriller.",
    "Who wrote this letter, and why was it never sent?",
    "Can you hear the music coming from next door?",
    "Honestly, the service was slow, but the food was great.",
    "An absolute masterpiece from start to finish.",
    "Dull, lifeless and far too long.",
    "It never quite finds its footing, yet it is hard to dislike.",
    "The actors seem to be having fun, and so will you.",
    "A mess of a movie, saved only by its lead performance.",
    "The first half is gripping; the second half falls apart.",
    "A sweet and simple film that knows exactly what it wants to be.",
    "Nothing here is new, but everything is done well.",
    "Go see it on the biggest screen you can find.",
    "The hotel room was clean, quiet and very comfortable.",
    "The staff were rude and the breakfast was cold.",
    "Great value for money; we will definitely come back.",
    "The battery lasts about two days with normal use.",
    "The screen cracked after one week, and support never answered.",
    "Works exactly as described and arrived on time.",
    "The instructions were confusing and two screws were missing.",
    "Does the question follow from the passage above?",
    "The man is playing a guitar on the street.",
    "A woman is slicing an onion in the kitchen.",
    "Two dogs are running through a field of tall grass.",
    "A child is riding a red bicycle down the hill.",
    "The cat is sleeping on the warm windowsill.",
    "Several people are waiting for the bus in the rain.",
    "A group of friends is having a picnic in the park.",
    "The chef is cooking pasta in a large pot.",
    "The weather was lovely, so we ate outside.",
    "If it rains tomorrow, the match will be postponed.",
    "Although he was tired, he kept working until midnight.",
    "The more you practise, the easier it becomes.",
    "Neither the manager nor the staff knew about the change.",
    "The company, founded in 1998, now employs over 3,000 people.",
    "Ask not what your country can do for you.",
    "All that glitters is not gold.",
    "A journey of a thousand miles begins with a single step.",
    "Better late than never, as my grandmother used to say.",
    "The early bird catches the worm, but the second mouse gets the cheese.",
    "Time flies like an arrow; fruit flies like a banana.",
    "The old lighthouse still stands on the rocky cape.",
    "Fishermen were mending their nets on the quiet harbour wall.",
    "At dawn, the valley was covered in a thick white fog.",
    "The mountain path is steep, narrow and often muddy.",
    "We watched the sunset from the top of the hill.",
    "The river floods almost every spring after the snow melts.",
    "Our garden has roses, tulips, daisies and a small pond.",
    "The museum's new exhibition features 120 paintings from the 19th century.",
    "Tickets cost £12 for adults and £6 for children under 16.",
    "The train leaves from platform 4 at 07:45.",
    "Flight BA 2490 to Lisbon is delayed by 45 minutes.",
    "The meeting has been moved to Wednesday, 3 p.m., in room 12.",
    "Chapter 7 explains how the algorithm works in detail.",
    "Version 2.0 fixes 37 bugs and adds dark mode.",
    "Press Ctrl+S to save the file, or Esc to cancel.",
    "The temperature rose from 18 °C to 31 °C in just two days.",
    "The invoice total is €1,245.50, due within 30 days.",
    "He answered all 50 questions correctly.",
    "The score was 3-2 after extra time.",
    "Over 60% of the voters supported the new law.",
    "The recipe serves 4 people and takes about 40 minutes.",
    "She has lived in Paris, Berlin, Madrid and Rome.",
    "The author's third novel was translated into 24 languages.",
    "Students should bring a pencil, an eraser and a calculator.",
    "The storm knocked down trees and cut power to 20,000 homes.",
    "Scientists discovered a new species of frog in the rainforest.",
    "The vaccine was tested on more than 40,000 volunteers.",
    "The city council approved the plan by 9 votes to 4.",
    "Prices at the pump fell for the fifth week in a row.",
    "The festival attracts visitors from all over the world.",
    "Hurry up! The shop closes in ten minutes.",
    "Wow, that was close!",
    "Really? Are you sure about that?",
    "Oh no... I left my keys in the car.",
    "Well, well, well, look who's here.",
    "Hmm, let me think about it for a moment.",
    "Yes; no; maybe; I don't know.",
    "Thank you very much for your kind help.",
    "Good morning, everyone, and welcome to the conference.",
    "Dear Sir or Madam, I am writing to complain about my order.",
    "Best regards, and see you next week.",
    "P.S. Don't forget to water the plants.",
    "Note: this offer is valid until 31/12/2024 only.",
    "Q: What time is it? A: It's a quarter to five.",
    "The answer is either A, B or C, but definitely not D.",
    "Step 1: open the box. Step 2: remove the packaging. Step 3: plug it in.",
    "He said: \"I'll be back in 5 minutes\" - that was an hour ago.",
    "The word 'fiancé' comes from French.",
    "Über alles, the Straße was quiet that evening.",
    "Façade, déjà vu and coöperate all carry accents.",
    "Naïveté is not the same as ignorance.",
    "The xylophone player from Xanten joined a jazz quartet in Xiamen.",
    "Set x = 5 and y = x + 2, then print `x` and `y` to check them.",
    "She paused \u2014 briefly \u2014 then said \u201cyes\u201d and left.",
    "Pages 10\u201320 cover the years 1990\u20131999.",
    "The variable my_value holds the user_id of the last visitor.",
    "It\u2019s the author\u2019s best book so far.",
]

SUBJECTS = ["The driver", "A teacher", "My neighbour", "The old farmer", "Our guide", "The pilot", "Her sister",
            "The young doctor", "A tourist", "The shopkeeper"]
VERBS = ["bought", "sold", "found", "lost", "painted", "repaired", "ordered", "delivered", "counted", "borrowed"]
OBJECTS = ["apples", "chairs", "tickets", "books", "lamps", "bottles", "shirts", "boxes", "umbrellas", "maps"]
PLACES = ["in London", "near the river", "at the market", "in the village", "on the island", "behind the school",
          "at the airport", "in the old town", "by the lake", "across the street"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def corpus_lines() -> list[str]:
    """The training corpus: the handwritten sentences, then generated lines with numbers, dates and prices.

    random.Random with a fixed seed and only randrange/choice gives the same sequence on every CPython 3.x."""
    rng = random.Random(20261129)
    lines = list(SENTENCES)
    for _ in range(240):
        kind = rng.randrange(4)
        subject, verb, obj, place = (rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(OBJECTS),
                                     rng.choice(PLACES))
        if kind == 0:
            lines.append(f"{subject} {verb} {rng.randrange(2, 400)} {obj} {place} on {rng.choice(DAYS)}.")
        elif kind == 1:
            lines.append(f"On {rng.randrange(1, 29)} {rng.choice(MONTHS)} {rng.randrange(1950, 2030)}, "
                         f"{subject.lower()} {verb} the {obj} {place}.")
        elif kind == 2:
            lines.append(f"{rng.randrange(1, 100)} {obj} cost ${rng.randrange(1, 999)}.{rng.randrange(10, 100)} "
                         f"{place}, didn't they?")
        else:
            lines.append(f"Why had {subject.lower()} {verb} so many {obj} ({rng.randrange(10, 90)}%) {place}?")
    return lines


# (name, category, text). Categories: "ordinary" (what T5 sees in practice: every tokenizer must agree),
# "whitespace", "normalization", "unknown", "special" (where implementations are known to differ at the edges).
TEST_CASES = [
    ("pangram", "ordinary", "The quick brown fox jumps over the lazy dog."),
    ("greeting", "ordinary", "Hello, world!"),
    ("glue_sst2", "ordinary", "sst2 sentence: it's a charming and often affecting journey."),
    ("glue_stsb", "ordinary", "stsb sentence1: A man is playing a guitar. sentence2: A person plays an instrument."),
    ("numbers_prices", "ordinary", "In 2023, prices rose by 4.5% to $1,299.99."),
    ("abbreviations", "ordinary", "Dr. Smith's office opens at 9:30 a.m. on Mondays."),
    ("casing", "ordinary", "UPPER CASE AND lower case And MiXeD Case"),
    ("punctuation", "ordinary", "Questions? Answers! Semicolons; colons: dashes - and (parentheses)."),
    ("email_url", "ordinary", "Email me at someone@example.com or visit example.org/path?x=1"),
    ("accents_precomposed", "ordinary", "A café in Zürich serves crème brûlée and jalapeño nachos."),
    ("digits", "ordinary", "Numbers like 0, 7, 42, 1000000 and 3.14159."),
    ("quotes", "ordinary", "Quotes: \"double\" and 'single' and `backtick`."),
    ("repeated_punctuation", "ordinary", "Really!!!! Why???? Well...."),
    ("unseen_words", "ordinary", "Xylophones quizzically jinx bewildered zookeepers."),
    ("single_letter", "ordinary", "a"),
    ("empty", "ordinary", ""),
    ("long", "ordinary", "The committee reviewed forty-two proposals over three long days, rejected most of them, "
                         "and finally approved a modest plan to repair the old bridge before winter."),
    ("leading_trailing_spaces", "whitespace", "  leading and trailing spaces  "),
    ("repeated_spaces", "whitespace", "multiple   spaces    between     words"),
    ("tabs_newlines", "whitespace", "tabs\tand\nnewlines\r\nmixed"),
    ("only_spaces", "whitespace", "   "),
    ("no_break_space", "whitespace", "no\u00a0break\u00a0space"),
    ("decomposed_accent", "normalization", "cafe\u0301 and nai\u0308ve, decomposed"),
    ("compatibility_forms", "normalization", "\ufb01ne \ufb02ow, full-width \uff21\uff22\uff23\uff11\uff12\uff13"),
    ("typographic_punctuation", "normalization", "em\u2014dash, en\u2013dash, ellipsis\u2026 and \u201ccurly\u201d"),
    ("metaspace_character", "normalization", "under_score and \u2581 the metaspace"),
    ("emoji_cjk", "unknown", "emoji \U0001f642 and CJK \u6f22\u5b57 here"),
    ("unknown_run", "unknown", "\u0436\u0437\u0438\u043a\u043b"),
    ("sentinels", "special", "fill <extra_id_0> the <extra_id_1> blanks"),
    ("sentinel_glued", "special", "x<extra_id_0>y"),
    ("last_sentinel", "special", "<extra_id_99>"),
    ("eos_in_text", "special", "text with </s> inside"),
]

# transformers' sentinel tokens are "<extra_id_7>", never "<extra_id_07>": anything else is ordinary text.
SENTINEL = re.compile(r"<extra_id_(0|[1-9][0-9]*)>")
SPECIAL_SPLIT = re.compile(r"(<pad>|</s>|<unk>|<extra_id_(?:0|[1-9][0-9]*)>)")


def special_token_id(token: str, piece_size: int) -> int | None:
    """Id of a special-token string as T5Tokenizer assigns it, or None for ordinary text."""
    if token in SPECIAL_PIECES:
        return SPECIAL_PIECES[token]
    match = SENTINEL.fullmatch(token)
    if match and int(match.group(1)) < EXTRA_IDS:
        return piece_size + EXTRA_IDS - 1 - int(match.group(1))
    return None


def train(folder: Path) -> Path:
    """Trains the model into folder/spiece.model: single-threaded, from an in-memory corpus (a file path would be
    recorded in the model and make two runs differ), with fixed options."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()),
        model_writer=model,
        model_type="unigram",
        vocab_size=VOCAB_SIZE,
        character_coverage=1.0,
        normalization_rule_name="nmt_nfkc",  # T5's spiece.model uses it too
        add_dummy_prefix=True,
        remove_extra_whitespaces=True,
        split_digits=False,
        byte_fallback=False,
        pad_id=PAD_ID, eos_id=EOS_ID, unk_id=UNK_ID, bos_id=-1,
        pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
        num_threads=1,
        shuffle_input_sentence=False,
        input_sentence_size=0,
        minloglevel=2,
    )
    path = folder / "spiece.model"
    path.write_bytes(model.getvalue())
    return path


def reference_encode(sp: spm.SentencePieceProcessor, text: str) -> list[int]:
    """T5's encoding: special-token strings cut out and mapped to their ids, sentencepiece on the rest, </s> last."""
    ids: list[int] = []
    for chunk in SPECIAL_SPLIT.split(text):
        if not chunk:
            continue
        special = special_token_id(chunk, sp.get_piece_size())
        ids.extend([special] if special is not None else sp.encode(chunk))
    return ids + [EOS_ID]


def reference_decode(sp: spm.SentencePieceProcessor, ids: list[int]) -> str:
    """sentencepiece's own decoding of the ordinary ids (control, unknown and sentinel ids dropped)."""
    return sp.decode([i for i in ids if i < sp.get_piece_size() and not sp.is_control(i) and not sp.is_unknown(i)])


def load_transformers_tokenizers(folder: Path) -> tuple[dict, dict]:
    """Every T5 tokenizer transformers can build from the folder: {label: tokenizer}, and {label: error} for the
    ones that could not be built. transformers 4.x has a sentencepiece-based T5Tokenizer and a tokenizers-based
    T5TokenizerFast; 5.x makes T5Tokenizer tokenizers-based (T5TokenizerFast may be an alias or absent). Its
    generic sentencepiece backend (AutoTokenizer(backend="sentencepiece")) is not T5's (no </s>, no sentinels),
    so the sentencepiece library itself stands for the sentencepiece side here."""
    import transformers

    built, failed = {}, {}
    model_file = str(folder / "spiece.model")
    for label in ("T5Tokenizer", "T5TokenizerFast"):
        tokenizer_class = getattr(transformers, label, None)
        if tokenizer_class is None:
            failed[label] = f"transformers {transformers.__version__} has no {label}"
            continue
        try:
            built[label] = tokenizer_class.from_pretrained(str(folder), local_files_only=True)
        except Exception as from_pretrained_error:  # noqa: BLE001  (each failure is recorded, not fatal)
            try:
                built[label] = tokenizer_class(vocab_file=model_file)
            except Exception as constructor_error:  # noqa: BLE001
                failed[label] = (f"from_pretrained: {type(from_pretrained_error).__name__}: {from_pretrained_error}; "
                                 f"constructor: {type(constructor_error).__name__}: {constructor_error}")
    return built, failed


def describe(tokenizer) -> dict:
    backend = getattr(tokenizer, "backend", None) or tokenizer.init_kwargs.get("backend")
    return {
        "class": type(tokenizer).__name__,
        "is_fast": bool(getattr(tokenizer, "is_fast", False)),
        "backend": str(backend) if backend is not None else None,
        "vocab_size": int(tokenizer.vocab_size),
        "len": len(tokenizer),
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "unk_token_id": tokenizer.unk_token_id,
        "clean_up_tokenization_spaces_default": getattr(tokenizer, "clean_up_tokenization_spaces", None),
    }


def build_fixture(folder: Path) -> dict:
    """Trains the model into folder and computes every reference; returns the expected.json document."""
    import tokenizers
    import transformers

    model_path = train(folder)
    sp = spm.SentencePieceProcessor(model_file=str(model_path))
    piece_size = sp.get_piece_size()
    if piece_size != VOCAB_SIZE:
        raise SystemExit(f"make_tokenizer_fixture: FAILED: trained {piece_size} pieces, wanted {VOCAB_SIZE}")
    for piece, wanted in SPECIAL_PIECES.items():
        if sp.piece_to_id(piece) != wanted:
            raise SystemExit(f"make_tokenizer_fixture: FAILED: {piece} has id {sp.piece_to_id(piece)}, not {wanted}")

    hf, hf_errors = load_transformers_tokenizers(folder)
    for label, error in hf_errors.items():
        print(f"  {label}: not available ({error})")

    cases, disagreements = [], []
    for name, category, text in TEST_CASES:
        ids = reference_encode(sp, text)
        case = {
            "name": name,
            "category": category,
            "text": text,
            "reference_ids": ids,
            "reference_pieces": [sp.id_to_piece(i) if i < piece_size else f"<extra:{i}>" for i in ids],
            "sentencepiece_decoded": reference_decode(sp, ids),
            "hf": {},
        }
        for label, tokenizer in hf.items():
            hf_ids = list(tokenizer(text)["input_ids"])
            result = {
                "ids": hf_ids,
                "agrees": hf_ids == ids,
                # Decoding the reference ids keeps the decode comparison independent of encoding differences.
                "decoded": tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False),
            }
            case["hf"][label] = result
            if not result["agrees"]:
                disagreements.append(f"{name} [{category}] {label}: hf {hf_ids} vs reference {ids}")
        cases.append(case)

    long_text = next(text for name, _, text in TEST_CASES if name == "long")
    truncation = {"name": "long", "max_length": TRUNCATION_MAX_LENGTH,
                  "reference_ids": reference_encode(sp, long_text)[:TRUNCATION_MAX_LENGTH - 1] + [EOS_ID], "hf": {}}
    for label, tokenizer in hf.items():
        hf_ids = list(tokenizer(long_text, truncation=True, max_length=TRUNCATION_MAX_LENGTH)["input_ids"])
        truncation["hf"][label] = {"ids": hf_ids, "agrees": hf_ids == truncation["reference_ids"]}
        if hf_ids != truncation["reference_ids"]:
            disagreements.append(f"truncation {label}: hf {hf_ids} vs reference {truncation['reference_ids']}")

    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "model_file": "spiece.model",
        "model_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),
        "versions": {"python": platform.python_version(), "sentencepiece": spm.__version__,
                     "transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "model": {"type": "unigram", "pieces": piece_size, "extra_ids": EXTRA_IDS, "pad_id": PAD_ID,
                  "eos_id": EOS_ID, "unk_id": UNK_ID, "bos_id": -1, "normalization": "nmt_nfkc",
                  "corpus_lines": len(corpus_lines())},
        "hf_tokenizers": {label: describe(tokenizer) for label, tokenizer in hf.items()},
        "hf_unavailable": hf_errors,
        "decode_options": {"skip_special_tokens": True, "clean_up_tokenization_spaces": False},
        "disagreements": disagreements,
        "cases": cases,
        "truncation": truncation,
    }


def write_expected(document: dict, path: Path) -> None:
    """expected.json, UTF-8, non-ASCII kept as is. Per case: name, category, text, reference_ids (the ids the C#
    tokenizer must give), reference_pieces, sentencepiece_decoded, and under hf.<tokenizer label>: ids (what
    that tokenizer gave), agrees (ids == reference_ids), decoded (decode(reference_ids, skip_special_tokens=True,
    clean_up_tokenization_spaces=False)). truncation: the "long" case encoded with max_length, EOS kept last."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for spiece.model and expected.json")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    print(f"make_tokenizer_fixture: python {platform.python_version()}, sentencepiece {spm.__version__}")
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        document = build_fixture(Path(first))
        again = build_fixture(Path(second))
        if document != again:
            print("make_tokenizer_fixture: FAILED: two runs gave different fixtures", file=sys.stderr)
            return 1
        args.out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(first) / "spiece.model", args.out / "spiece.model")
    write_expected(document, args.out / "expected.json")

    print(f"make_tokenizer_fixture: transformers tokenizers used: "
          + ", ".join(f"{label} ({info['class']}, fast={info['is_fast']})"
                      for label, info in document["hf_tokenizers"].items()))
    for case in document["cases"]:
        print(f"  {case['name']:24s} {case['category']:13s} {case['reference_ids']}")
        for label, result in case["hf"].items():
            if result["decoded"] != case["sentencepiece_decoded"]:
                print(f"  {'':24s} decode differs: {label} {result['decoded']!r} vs sentencepiece "
                      f"{case['sentencepiece_decoded']!r}")
    print(f"make_tokenizer_fixture: {len(document['disagreements'])} encoding disagreements with the reference:")
    for line in document["disagreements"]:
        print(f"  {line}")
    ordinary = [line for line in document["disagreements"] if "[ordinary]" in line or line.startswith("truncation")]
    for name in ("spiece.model", "expected.json"):
        print(f"make_tokenizer_fixture: wrote {args.out / name} ({(args.out / name).stat().st_size} bytes)")
    print(f"make_tokenizer_fixture: model sha256 {document['model_sha256']}")
    if not document["hf_tokenizers"]:
        print("make_tokenizer_fixture: FAILED: no transformers tokenizer could be built", file=sys.stderr)
        return 1
    if ordinary:
        print("make_tokenizer_fixture: WARNING: transformers disagrees with sentencepiece on ordinary text "
              "(listed above); the C# tests will fail on those cases until that is understood.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
