package dev.phi4spark.udf.tokenizer;

/**
 * Training text for the tiny test tokenizer: short English passages in the educational register the
 * project generates and scores.
 *
 * <p>It lives in a Java text block rather than a resource file so that the engine's {@code model
 * make-tiny} command finds it on any classpath, shaded jar included, without a resource lookup.
 */
final class TinyCorpus {

    static final String TEXT =
            """
            The water cycle describes how water moves between the oceans, the air and the land. \
            When the sun warms the surface of the sea, some of the water evaporates and rises as vapour. \
            As the vapour climbs, it cools and condenses into tiny droplets that form clouds. \
            When the droplets join together and grow heavy, they fall back to the ground as rain or snow. \
            Rivers carry the water back to the sea, and the cycle begins again.

            Photosynthesis is the process that plants use to turn light into food. \
            Inside the leaves, a green pigment called chlorophyll absorbs energy from the sun. \
            The plant takes in carbon dioxide from the air and water from the soil, \
            and it uses the energy of light to build sugar. Oxygen is released as a by-product, \
            which is why forests and oceans are so important for the air we breathe.

            A fraction describes a part of a whole. In the fraction 3/4, the number below the line is the \
            denominator: it tells us how many equal parts the whole has been divided into. \
            The number above the line is the numerator: it tells us how many of those parts we have. \
            To add 1/4 and 2/4, we keep the denominator and add the numerators, which gives 3/4. \
            To add fractions with different denominators, we first find a common denominator.

            The Roman Empire was one of the largest empires of the ancient world. \
            At its height, around the year 117, it stretched from Britain in the north to Egypt in the south. \
            The Romans built roads, bridges and aqueducts, many of which can still be seen today. \
            Latin, the language of the Romans, became the root of Italian, French, Spanish, Portuguese \
            and Romanian, and it gave English thousands of words.

            Gravity is the force that pulls objects toward each other. \
            The more mass an object has, the stronger its pull. \
            The Earth's gravity keeps the Moon in its orbit, and the Sun's gravity keeps the Earth in its orbit. \
            Isaac Newton described gravity with a simple law, and Albert Einstein later explained it \
            as the bending of space and time around massive objects.

            Why do we have seasons? It is not because the Earth is closer to the Sun in summer. \
            The Earth's axis is tilted, so for part of the year one half of the planet leans toward the Sun \
            and receives more direct light. That half has summer, while the other half has winter. \
            Six months later, the situation is reversed.

            A good scientific experiment tests one idea at a time. \
            First, the scientist asks a question and makes a prediction, called a hypothesis. \
            Then she changes one variable, keeps every other condition the same, and measures the result. \
            If the results do not support the hypothesis, that is still useful: it teaches us something new. \
            Careful notes, repeated trials and honest reporting are what make science reliable.

            Computers store every piece of information as numbers. \
            A bit is the smallest unit of data and can be either 0 or 1. \
            Eight bits make a byte, which can represent 256 different values. \
            Text is stored by giving each character a number; the UTF-8 encoding uses one to four bytes \
            per character, so it can represent letters from every writing system in the world.

            Healthy eating means choosing a variety of foods. Fruits and vegetables give us vitamins and fibre, \
            grains give us energy, and beans, fish, eggs and nuts give us protein to build muscles. \
            Drinking water is better than drinking sugary drinks. \
            It's also important to be active every day: walking, cycling, swimming and playing outside \
            all help keep the heart and the lungs strong.

            Question: What is the capital of France?
            Answer: The capital of France is Paris.

            Question: How many sides does a hexagon have?
            Answer: A hexagon has six sides, and a regular hexagon has six equal angles of 120 degrees.

            Question: Why is the sky blue?
            Answer: Sunlight contains every colour. When it passes through the air, the short blue waves \
            are scattered in every direction much more than the long red waves, \
            so we see blue light coming from all parts of the sky.

            Summary: In this lesson, we learned that the water cycle moves water around the planet, \
            that plants make their food from light, that fractions describe parts of a whole, \
            and that careful experiments help us understand the world. \
            Let's review the key words: evaporation, condensation, chlorophyll, numerator, denominator, \
            hypothesis and variable. Can you explain each one in your own words?
            """;

    private TinyCorpus() {}
}
