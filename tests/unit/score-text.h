/* SPDX-License-Identifier: MIT */
/* Test helper: render a ScoreReport as golden-file text (score-text.c). */
#pragma once

#include "buf.h"
#include "score.h"

void score_report_text(const ScoreReport *r, const char *unit, Buf *out);
