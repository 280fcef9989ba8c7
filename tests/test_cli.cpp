// The `embervlm` command line: outputs and exit codes, run as a user would run it.
#include "cpu_isa.h"

#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run embervlm(const QStringList& args, const QStringList& env = {})
{
    QProcess p;
    if (!env.isEmpty()) {
        auto e = QProcessEnvironment::systemEnvironment();
        for (const auto& kv : env)
            e.insert(kv.section('=', 0, 0), kv.section('=', 1));
        p.setProcessEnvironment(e);
    }
    p.start(QStringLiteral(EMBERVLM_BIN_DIR "/embervlm"), args);
    Run r;
    if (!p.waitForFinished(300000)) {
        p.kill();
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

const char* kTiny =
    R"({"vision_widths":[8,16,24,32],"vision_depths":[1,1,2,1],"n_embd":32,"n_head":2,"n_layer":2,"n_inner":64,)"
    R"("proj_hidden":48,"reasoning_hidden":48,"validator_hidden":24,"answer_hidden":16})";

const QStringList kCommands = {"info",  "params", "init", "convert", "ask",  "select", "tokenize",
                               "forward", "data", "train", "eval",   "demo", "score"};

} // namespace

class TestCli final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        ckpt_ = dir_.path() + "/tiny.safetensors";
        auto r = embervlm({"init", "--preset", "base", "--config", kTiny, "--seed", "3", "-o", ckpt_});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY(QFile::exists(ckpt_));
        QFile bad(dir_.path() + "/bad.png");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("this is not a png");
        bad.close();
        ws_ = dir_.path() + "/ws";
        r = embervlm({"data", "demo", "-w", ws_, "--count", "6", "--size", "64"});
        QVERIFY2(r.code == 0, r.err.constData());
    }

    void readingCommandsCreateNothing()
    {
        const QString typo = dir_.path() + "/typo_dir";
        QCOMPARE(embervlm({"data", "stats", "-w", typo}).code, 1);
        QCOMPARE(embervlm({"data", "export", "-w", typo, "-o", dir_.path() + "/x.jsonl"}).code, 1);
        QVERIFY(!QFileInfo::exists(typo));
    }

    void oneImportCommandIsOneTransaction()
    {
        const QString good = dir_.path() + "/good.jsonl", bad = dir_.path() + "/bad.jsonl";
        QFile g(good), b(bad);
        QVERIFY(g.open(QIODevice::WriteOnly) && b.open(QIODevice::WriteOnly));
        g.write(R"({"uid":"one","task":"Carry the box","robots":["Humanoid"]})" "\n");
        b.write(R"({"uid":"two","task":"Fly over","robots":["Drone"]})" "\n" R"({"task": oops})" "\n");
        g.close();
        b.close();
        const QString ws = dir_.path() + "/import-ws";
        auto r = embervlm({"data", "import", "-w", ws, good, bad});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("bad.jsonl:2"), r.err.constData());
        QVERIFY2(r.err.contains("nothing imported"), r.err.constData());
        r = embervlm({"data", "stats", "-w", ws, "--json"});
        QCOMPARE(r.code, 0);
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("samples").toInt(-1), 0);
        QCOMPARE(embervlm({"data", "import", "-w", ws, good}).code, 0);
        r = embervlm({"data", "stats", "-w", ws, "--json"});
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("samples").toInt(-1), 1);
    }

    // Issue 26 from the command line: VQA v2's two files told apart by content (in either order),
    // images from --images; the COCO and VQA exports import again by naming their folders.
    void practitionersFormatsRoundTrip()
    {
        const QString root = dir_.path() + "/vqa";
        QVERIFY(QDir().mkpath(root + "/pics"));
        QImage img(40, 30, QImage::Format_RGB888);
        img.fill(QColor(20, 120, 200));
        QVERIFY(img.save(root + "/pics/COCO_val2014_000000000042.jpg"));
        const QString q = root + "/v2_OpenEnded_mscoco_val2014_questions.json";
        const QString a = root + "/v2_mscoco_val2014_annotations.json";
        QFile qf(q), af(a);
        QVERIFY(qf.open(QIODevice::WriteOnly) && af.open(QIODevice::WriteOnly));
        qf.write(R"({"info": {}, "task_type": "Open-Ended", "data_type": "mscoco", "license": {}, "data_subtype": "val2014",
            "questions": [{"image_id": 42, "question": "What color is the sky?", "question_id": 42000}]})");
        QJsonArray answers;
        for (int i = 1; i <= 10; ++i)
            answers.append(QJsonObject{{"answer", i <= 7 ? "blue" : "light blue"}, {"answer_confidence", "yes"}, {"answer_id", i}});
        const QJsonObject annotation{{"question_type", "what color is the"}, {"multiple_choice_answer", "blue"},
                                     {"answers", answers}, {"image_id", 42}, {"answer_type", "other"}, {"question_id", 42000}};
        af.write(QJsonDocument(QJsonObject{{"info", QJsonObject{}}, {"license", QJsonObject{}}, {"data_subtype", "val2014"},
                                           {"annotations", QJsonArray{annotation}}})
                     .toJson());
        qf.close();
        af.close();
        const QString ws = dir_.path() + "/vqa-ws";
        auto r = embervlm({"data", "import", "-w", ws, a, q, "--images", root + "/pics"});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY2(r.out.contains("read 1 new"), r.out.constData());
        r = embervlm({"data", "export", "-w", ws, "--format", "vqa", "-o", dir_.path() + "/vqa-out"});
        QVERIFY2(r.code == 0 && r.out.contains("wrote 1 samples"), r.out.constData());
        r = embervlm({"data", "import", "-w", dir_.path() + "/vqa-back", dir_.path() + "/vqa-out"});
        QVERIFY2(r.code == 0 && r.out.contains("imported 1 samples"), (r.out + r.err).constData());
        // the exported answers score as VQA v2 annotations: a prediction that 7 of 10 gave is 100%
        QFile res(dir_.path() + "/vqa-res.json");
        QVERIFY(res.open(QIODevice::WriteOnly));
        res.write(R"([{"question_id": 42000, "answer": "blue"}])");
        res.close();
        r = embervlm({"score", "--references", dir_.path() + "/vqa-out/v2_mscoco_val2014_annotations.json", "--predictions",
                      res.fileName(), "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("overall").toDouble(), 100.0);
        // a format that does not exist is a usage error naming the ones that do
        r = embervlm({"data", "import", "-w", ws, q, "--format", "parquet"});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("llava, messages, coco, imagefolder or vqa"), r.err.constData());
        r = embervlm({"data", "export", "-w", ws, "--format", "parquet", "-o", dir_.path() + "/x"});
        QCOMPARE(r.code, 2);
    }

    // Exit status 2: the command line itself is wrong (the parser or an option's range says so).
    void usageErrorsExitTwoWithOneLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no command") << QStringList{} << "usage";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << "unknown command 'frobnicate'";
        QTest::newRow("unknown data command") << QStringList{"data", "frob", "-w", "WS"} << "unknown command 'frob'";
        QTest::newRow("unknown option") << QStringList{"info", "--bogus"} << "not expected: --bogus";
        QTest::newRow("missing value") << QStringList{"init", "--preset"} << "--preset";
        QTest::newRow("missing output") << QStringList{"init", "--preset", "base"} << "-o is required";
        QTest::newRow("missing workspace") << QStringList{"data", "stats"} << "--workspace is required";
        QTest::newRow("bad number") << QStringList{"ask", "--checkpoint", "CKPT", "--prompt", "hi", "--max-tokens", "lots"}
                                    << "needs an integer";
        QTest::newRow("tokenize without text") << QStringList{"tokenize"} << "TEXT";
        // Out-of-range and non-finite numbers are refused, not clamped, wrapped or taken as NaN.
        QTest::newRow("threads 100000") << QStringList{"info", "--threads", "100000"} << "--threads must be in 0..";
        QTest::newRow("temperature nan") << QStringList{"ask", "--checkpoint", "CKPT", "--prompt", "hi", "--temperature", "nan"}
                                         << "--temperature must be a number in";
        QTest::newRow("temperature -1") << QStringList{"ask", "--checkpoint", "CKPT", "--prompt", "hi", "--temperature", "-1"}
                                        << "--temperature must be a number in";
        QTest::newRow("threshold nan") << QStringList{"select", "--checkpoint", "CKPT", "--task", "x", "--threshold", "nan"}
                                       << "--threshold must be a number in";
        QTest::newRow("factor wraps") << QStringList{"data", "augment", "-w", "WS", "--factor", "4294967297"} << "--factor must be in";
        QTest::newRow("split nan") << QStringList{"data", "split", "-w", "WS", "--train", "nan"} << "--train must be a number in";
        QTest::newRow("bad stage") << QStringList{"train", "-w", "WS", "--stage", "5"} << "--stage must be";
        QTest::newRow("empty workspace") << QStringList{"data", "stats", "-w", ""} << "--workspace needs a value";
        QTest::newRow("flag given a value") << QStringList{"data", "stats", "-w", "WS", "--json=false"} << "json was given a disallowed flag override";
        QTest::newRow("eval without checkpoint") << QStringList{"eval", "-w", "WS"} << "--checkpoint is required";
    }

    void usageErrorsExitTwoWithOneLine() { expectError(2); }

    // Exit status 1: the command line parsed, the command failed (files, contents, values that
    // only the command can judge).
    void failuresExitOneWithOneLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("bad preset") << QStringList{"info", "--preset", "giant"} << "unknown preset";
        QTest::newRow("bad config json") << QStringList{"info", "--config", "{oops"} << "not valid JSON";
        QTest::newRow("missing checkpoint") << QStringList{"select", "--checkpoint", "/nonexistent.safetensors", "--task", "x"}
                                            << "/nonexistent.safetensors";
        QTest::newRow("bad image") << QStringList{"select", "--checkpoint", "CKPT", "--image", "BADIMG", "--task", "x"}
                                   << "not a readable image";
        QTest::newRow("missing image") << QStringList{"forward", "--checkpoint", "CKPT", "--image", "/no/such.png"}
                                       << "no such file";
        QTest::newRow("checkpoint is garbage") << QStringList{"select", "--checkpoint", "BADIMG", "--task", "x"}
                                               << "not a safetensors file";
        QTest::newRow("max_steps -1") << QStringList{"train", "-w", "WS", "--stage", "3", "--config", R"({"max_steps":-1})"}
                                      << "max_steps must be in";
        QTest::newRow("int field wraps") << QStringList{"train", "-w", "WS", "--stage", "3", "--config", R"({"batch_size":99999999999})"}
                                         << "out of range";
        QTest::newRow("stats of a typo") << QStringList{"data", "stats", "-w", "TYPO"} << "no workspace at";
    }

    void failuresExitOneWithOneLine() { expectError(1); }

    // Every command and data command answers --help on stdout with exit 0; --version too.
    void helpOnEveryCommand_data()
    {
        QTest::addColumn<QStringList>("args");
        for (const QString& c : kCommands)
            QTest::newRow(qPrintable(c)) << QStringList{c, "--help"};
        for (const char* c : {"demo", "import", "export", "split", "augment", "stats"})
            QTest::newRow(qPrintable(QString("data ") + c)) << QStringList{"data", c, "--help"};
        QTest::newRow("top level") << QStringList{"--help"};
    }

    void helpOnEveryCommand()
    {
        QFETCH(QStringList, args);
        const auto r = embervlm(args);
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains("Usage: embervlm " + args.mid(0, args.size() - 1).join(' ').toUtf8()), r.out.constData());
        QVERIFY(r.out.contains("--help"));
        QVERIFY(r.err.isEmpty());
    }

    // What the old parser accepted keeps working: "-w=DIR", and "help" where a command goes.
    void conventionsKept()
    {
        auto r = embervlm({"data", "stats", "-w=" + ws_, "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value("samples").toInt(-1), 6);
        r = embervlm({"help"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("Usage: embervlm"));
        r = embervlm({"data", "help"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("Usage: embervlm data"));
        r = embervlm({"tokenize", "help"});   // a text, not a request for help
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("[16794]"));   // gpt-3-encoder's ids (third_party/gpt2/Encoder.js)
    }

    void versionAndDoubleDash()
    {
        auto v = embervlm({"--version"});
        QCOMPARE(v.code, 0);
        QCOMPARE(v.out.trimmed(), QByteArray("embervlm " EMBERVLM_VERSION));
        // "--" ends the options: what follows is the text, dashes and all. The ids are the
        // reference encoder's (node, third_party/gpt2/Encoder.js: gpt-3-encoder@1.1.4).
        const QList<QPair<QString, QByteArray>> cases{{"----", "[650]"}, {"--help", "[438,16794]"}, {"-w", "[12,86]"}};
        for (const auto& [text, ids] : cases) {
            const auto r = embervlm({"tokenize", "--", text});
            QVERIFY2(r.code == 0, r.err.constData());
            QCOMPARE(r.out.trimmed(), ids);
        }
    }

    // Text with a special token and non-Latin script: the special token's id between the reference
    // encoder's ids of the two pieces (node, third_party/gpt2/Encoder.js, as test_tokenizer's fixtures).
    void tokenizeMatchesTheReferenceEncoder()
    {
        const QString text = "Step 1: the roof is high.<|reasoning_end|> 🚁 無人機";
        auto r = embervlm({"tokenize", text});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("[8600,352,25,262,9753,318,1029,13,50258,12520,248,223,13328,226,94,21689,49960]"));
    }

    void selectAndForwardJson()
    {
        QImage img(64, 48, QImage::Format_RGB888);
        img.fill(QColor(30, 90, 200));
        const QString imgPath = dir_.path() + "/sea.png";
        QVERIFY(img.save(imgPath));
        auto s = embervlm({"select", "--checkpoint", ckpt_, "--image", imgPath, "--task", "Inspect a ship hull", "--json"});
        QVERIFY2(s.code == 0, s.err.constData());
        const auto sel = QJsonDocument::fromJson(s.out).object();
        QVERIFY(!sel["steps"].toArray().isEmpty());
        QCOMPARE(sel["answer_probs"].toArray().size(), 5);
        QCOMPARE(sel["labels"].toArray().size(), 5);
        auto f = embervlm({"forward", "--json", "--checkpoint", ckpt_, "--image", imgPath, "--prompt", "Task: dive"});
        QVERIFY2(f.code == 0, f.err.constData());
        const auto fw = QJsonDocument::fromJson(f.out).object();
        QVERIFY(fw["vision_mean"].isDouble());
        QVERIFY(fw["vision_std"].toDouble() > 0);
        QCOMPARE(fw["top10"].toArray().size(), 10);
        QVERIFY(fw["trace"].toObject()["steps"].isArray());
        auto table = embervlm({"select", "--checkpoint", ckpt_, "--task", "Carry boxes", "--threshold", "0"});
        QCOMPARE(table.code, 0);
        QVERIFY(table.out.contains("answer:"));
    }

    void askStreams()
    {
        auto r = embervlm({"ask", "--checkpoint", ckpt_, "--prompt", "What is here?", "--max-tokens", "8"});
        QVERIFY2(r.code == 0, r.err.constData());
        QVERIFY(r.err.contains("tokens/s"));
    }

    // "" is a text like any other (issue 28): every option whose value is a TEXT, found in each
    // command's --help, takes the empty string and the command runs; `tokenize` prints [].
    void emptyTextValuesAreTexts()
    {
        for (const QStringList& args : {QStringList{"tokenize", "--text", ""}, QStringList{"tokenize", ""}}) {
            const auto r = embervlm(args);
            QVERIFY2(r.code == 0, r.err.constData());
            QCOMPARE(r.out.trimmed(), QByteArray("[]"));
        }
        // One step of a tiny model (its overrides a JSON text inside the JSON, as the Train form writes them).
        QJsonObject model = QJsonDocument::fromJson(kTiny).object();
        model["image_size"] = 64;
        const QJsonObject trainConfig{{"preset", "lite"},
                                      {"model_overrides", QString::fromUtf8(QJsonDocument(model).toJson(QJsonDocument::Compact))},
                                      {"batch_size", 2},
                                      {"max_steps", 1},
                                      {"eval_split", "none"}};
        QImage img(32, 24, QImage::Format_RGB888);
        img.fill(QColor(200, 120, 40));
        const QString image = dir_.path() + "/empty-text.png";
        QVERIFY(img.save(image));
        // How to run each command that has a TEXT option; the option is added with "".
        const QMap<QString, QStringList> runnable = {
            {"ask", {"--checkpoint", ckpt_, "--max-tokens", "2"}},
            {"select", {"--checkpoint", ckpt_}},
            {"forward", {"--checkpoint", ckpt_, "--image", image}},   // neither image nor text is refused
            {"tokenize", {}},
            {"train", {"-w", ws_, "--stage", "3", "--config", QString::fromUtf8(QJsonDocument(trainConfig).toJson(QJsonDocument::Compact))}},
        };
        const QRegularExpression textOption(QStringLiteral("(--[a-z][a-z-]*)[ =]TEXT\\b"));
        int tried = 0;
        for (const QString& command : kCommands) {
            const auto help = embervlm({command, "--help"});
            QCOMPARE(help.code, 0);
            auto it = textOption.globalMatch(QString::fromUtf8(help.out));
            while (it.hasNext()) {
                const QString option = it.next().captured(1);
                QVERIFY2(runnable.contains(command), qPrintable(command + " " + option + " takes a TEXT: say here how to run it"));
                const auto r = embervlm(QStringList{command} + runnable[command] + QStringList{option, ""});
                QVERIFY2(r.code == 0, qPrintable(command + " " + option + " \"\": " + QString::fromUtf8(r.err)));
                ++tried;
            }
        }
        QVERIFY2(tried >= 5, qPrintable(QString("only %1 TEXT options found in the help").arg(tried)));
    }

    // Issue 29: the commands that need no model never load LibTorch or oneDNN (the `embervlm`
    // front end runs them; a model command is handed to embervlm-engine). The dynamic loader
    // lists every library it initialises (LD_DEBUG=libs); the control shows it would list them.
    void lightCommandsLoadNoLibTorch()
    {
        const QStringList loader{"LD_DEBUG=libs"};
        for (const QStringList& args : {QStringList{"--version"}, QStringList{"--help"}, QStringList{"tokenize", "hi"},
                                        QStringList{"data", "stats", "-w", ws_, "--json"}, QStringList{"data", "--help"},
                                        QStringList{"train", "--help"}}) {
            const auto r = embervlm(args, loader);
            QVERIFY2(r.code == 0, qPrintable(args.join(' ')));
            QVERIFY2(r.err.contains("calling init:"), "LD_DEBUG=libs printed nothing");
            for (const char* heavy : {"libtorch", "libc10", "libdnnl"})
                QVERIFY2(!r.err.contains(heavy), qPrintable(args.join(' ') + " loaded " + heavy));
        }
        const auto model = embervlm({"info", "--preset", "lite"}, loader);
        QCOMPARE(model.code, 0);
        QVERIFY2(model.err.contains("libtorch_cpu"), "a model command runs in the engine, with LibTorch");
    }

    void infoReportsComponents()
    {
        auto r = embervlm({"info", "--preset", "base", "--json"});
        QCOMPARE(r.code, 0);
        const auto j = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(j["total"].toObject()["parameters"].toInteger(), qint64(36611686));
        QVERIFY(j["components"].toObject()["vision"].toObject()["flops"].toDouble() > 1e9);
    }

    // What a user on a CPU of each level gets (issue 13): `select` on a base model runs the vision
    // chain and the prompt products in oneDNN's jit kernels, no `ref` implementation anywhere
    // (ONEDNN_VERBOSE lists every primitive executed), and `info` names the path.
    void selectRunsNoReferenceKernel_data()
    {
        QTest::addColumn<QString>("level");
        QTest::newRow("this cpu") << QString();
        for (const char* level : {"avx2", "generic"}) {
            ember::Isa isa;
            QVERIFY(ember::parseIsa(level, isa));
            if (isa < ember::detectedIsa())   // at or above this CPU's own: the first row already
                QTest::newRow(level) << QString(level);
        }
    }

    void selectRunsNoReferenceKernel()
    {
        QFETCH(QString, level);
        const QString base = dir_.path() + "/base.safetensors";
        if (!QFile::exists(base)) {
            auto r = embervlm({"init", "--preset", "base", "--seed", "1", "-o", base});
            QVERIFY2(r.code == 0, r.err.constData());
        }
        QImage img(320, 240, QImage::Format_RGB888);
        img.fill(QColor(40, 120, 200));
        const QString imgPath = dir_.path() + "/hull.png";
        QVERIFY(img.save(imgPath));
        QStringList env{"ONEDNN_VERBOSE=1"};
        if (!level.isEmpty())
            env << "EMBERVLM_ISA=" + level;
        auto r = embervlm({"select", "--checkpoint", base, "--image", imgPath, "--task", "Inspect a ship hull", "--json"}, env);
        QVERIFY2(r.code == 0, r.err.constData());
        int convolutions = 0, matmuls = 0;
        QString isaLine;
        for (const QByteArray& line : r.out.split('\n')) {
            const auto f = QString::fromUtf8(line).split(',');
            if (f.size() >= 4 && f[0] == "onednn_verbose" && f[1] == "info" && f[2].startsWith("cpu") && line.contains("isa:"))
                isaLine = line;
            if (f.size() < 5 || f[0] != "onednn_verbose" || f[1] != "exec")
                continue;
            QVERIFY2(!f[4].startsWith("ref") && !f[4].contains(":ref"), line.constData());
            convolutions += f[3] == "convolution";
            matmuls += f[3] == "matmul";
        }
        qInfo() << (level.isEmpty() ? "this cpu" : level) << isaLine << convolutions << "convolutions," << matmuls << "matmuls";
        QVERIFY2(convolutions > 20, "the vision chain ran in oneDNN");
        QVERIFY(matmuls > 0);
        if (!level.isEmpty())
            QVERIFY2(!isaLine.contains("AVX-512"), qPrintable(isaLine));
        auto info = embervlm({"info", "--checkpoint", base, "--json"}, env.mid(1));
        QVERIFY2(info.code == 0, info.err.constData());
        const auto compute = QJsonDocument::fromJson(info.out).object()["compute"].toObject();
        QVERIFY2(compute["vision"].toString().startsWith("oneDNN chain at"), qPrintable(compute["vision"].toString()));
        QVERIFY(compute["prompt_products"].toString().startsWith("oneDNN matmul"));
        QVERIFY(compute["isa"].toString().startsWith(level.isEmpty() ? QString(ember::isaName(ember::detectedIsa())) : level));
    }

    // `embervlm score` on test_scoring's fixtures: the official tools' figures, their key names.
    void scoreOnFixtures()
    {
        const QString f = QStringLiteral(EMBERVLM_TEST_FIXTURES_DIR "/scoring/");
        const QString caps = f + "captions_val.json", results = f + "results.json";
        auto r = embervlm({"score", "--references", caps, "--predictions", results, "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const auto c = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(c.keys(), (QStringList{"Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "CIDEr", "ROUGE_L"}));
        QVERIFY(qAbs(c["CIDEr"].toDouble() - 1.4085804957282408) < 1e-4);
        QVERIFY(qAbs(c["Bleu_4"].toDouble() - 0.38152238397914834) < 1e-4);
        r = embervlm({"score", "--references", f + "v2_mscoco_val_annotations.json", "--predictions",
                      f + "vqa_results.json", "--questions", f + "v2_OpenEnded_mscoco_val_questions.json", "--json"});
        QVERIFY2(r.code == 0, r.err.constData());
        const auto v = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(v.keys(), (QStringList{"overall", "perAnswerType", "perQuestionType"}));
        QCOMPARE(v["overall"].toDouble(), 73.0);
        QCOMPARE(v["perAnswerType"].toObject()["yes/no"].toDouble(), 66.67);
        r = embervlm({"score", "--references", caps, "--predictions", results});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("CIDEr") && r.out.contains("1.4086"));
        // A file that does not fit: 1, one line naming it; a wrong command line: 2.
        r = embervlm({"score", "--references", caps, "--predictions", f + "vqa_results.json"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("vqa_results.json: results[0] has no \"image_id\""), r.err.constData());
        QCOMPARE(embervlm({"score", "--references", caps}).code, 2);
        QCOMPARE(embervlm({"score", "--references", caps, "--predictions", results, "--questions",
                           f + "v2_OpenEnded_mscoco_val_questions.json"}).code,
                 2);
    }

private:
    void expectError(int code)
    {
        QFETCH(QStringList, args);
        QFETCH(QString, mentions);
        for (auto& a : args) {
            a.replace("CKPT", ckpt_);
            a.replace("BADIMG", dir_.path() + "/bad.png");
            a.replace("WS", ws_);
            a.replace("TYPO", dir_.path() + "/typo_dir");
        }
        auto r = embervlm(args);
        QCOMPARE(r.code, code);
        const QString err = QString::fromUtf8(r.err).trimmed();
        QVERIFY2(err.contains(mentions, Qt::CaseInsensitive), qPrintable(err));
        if (!args.isEmpty())   // the usage text is several lines; errors are one
            QVERIFY2(!err.contains('\n'), qPrintable(err));
    }

    QTemporaryDir dir_;
    QString ckpt_;
    QString ws_;
};

QTEST_APPLESS_MAIN(TestCli)
#include "test_cli.moc"
