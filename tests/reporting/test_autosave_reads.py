"""What every autosave reads and recomputes, made cheaper for deadline-day load without
changing what it gives: the answers by key, and the answers a change would clear."""

import pytest

from reporting import completion, services
from reporting.models import Answer, Question
from reporting.selectors import answers_of, questionnaire_structure
from tests.conftest import generated_questionnaire, publish

pytestmark = pytest.mark.django_db


def test_answers_of_gives_every_answer_by_question_key(editor, report):
    services.save_answers(
        report,
        by=editor,
        changes=[
            services.AnswerChange("1.1", "yes", 0),
            services.AnswerChange("1.2", "National Commission", 0),
        ],
    )
    assert answers_of(report) == {"1.1": "yes", "1.2": "National Commission"}


def test_answers_of_keeps_an_answer_to_a_question_of_another_version(editor, report):
    services.save_answers(report, by=editor, changes=[services.AnswerChange("1.1", "no", 0)])
    other = publish(generated_questionnaire("other", 2))
    stray = Question.objects.get(version=other, key="q1")
    Answer.objects.create(report=report, question=stray, value="kept", revision=1)
    assert answers_of(report) == {"1.1": "no", "q1": "kept"}


def test_a_change_no_condition_reads_clears_nothing(report):
    _sections, questions = questionnaire_structure(report.questionnaire)
    before = {"1.1": "yes", "1.2": "Commission"}
    renamed = {**before, "1.2": "National Commission"}
    assert completion.dependents_hidden_by(questions, before, renamed) == []
    hidden = completion.dependents_hidden_by(questions, before, {**before, "1.1": "no"})
    assert [q.key for q in hidden] == ["1.2"]
